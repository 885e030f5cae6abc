// What every executor that runs a command keeps of it, the same way wherever it ran (this
// host, an SSH host): the last bytes of each output stream with secrets masked, whether
// stdout contained the expected text, and the verdict against the step's expectations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/exec/executor.h"

namespace tminus {

// `text` from offset `from` on, with "***" for every secret; a secret that starts before
// `from` and reaches past it is masked too, so no part of one is ever shown.
std::string Redact(std::string_view text, size_t from, const std::vector<std::string>& secrets);

size_t LongestSecret(const std::vector<std::string>& secrets);

// `text` in quotes (cut at 200 characters), secrets masked first so that shortening
// cannot leave part of one.
std::string Quoted(const std::string& text, const std::vector<std::string>& secrets);

// The last `cap` bytes of a stream. It keeps `lookbehind` more bytes than it shows, so a
// secret cut by the start of the tail is still recognised and masked.
class OutputTail {
 public:
  OutputTail(size_t cap, size_t lookbehind) : cap_(cap), keep_(cap + lookbehind) {}
  // Sized for `secrets`: the lookbehind is the longest secret less one byte.
  OutputTail(size_t cap, const std::vector<std::string>& secrets)
      : OutputTail(cap, LongestSecret(secrets) > 0 ? LongestSecret(secrets) - 1 : 0) {}

  void Append(const char* data, size_t size);
  // The tail, with a first line saying how many earlier bytes were dropped, if any.
  std::string Finish(const std::vector<std::string>& secrets) const;

 private:
  size_t cap_;
  size_t keep_;
  uint64_t total_ = 0;
  std::string buffer_;
};

// Whether a stream contains `needle`, fed in pieces of any size: it carries the last
// needle-length-1 bytes from one piece to the next.
class StreamMatcher {
 public:
  explicit StreamMatcher(std::string needle) : needle_(std::move(needle)), found_(needle_.empty()) {}
  void Feed(const char* data, size_t size);
  bool found() const { return found_; }

 private:
  std::string needle_;
  std::string carry_;
  bool found_;
};

// The error for a command that exited with `exit_code` (or "" when it met the request's
// expectations): the exit code expected, then the text stdout must contain.
std::string ExpectationError(const ActionRequest& request, int exit_code, bool stdout_matched);

}  // namespace tminus
