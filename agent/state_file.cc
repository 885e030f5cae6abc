#include "agent/state_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include <fcntl.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tminus::agent {
namespace {

constexpr absl::string_view kMagic = "tminus-agent-state";
constexpr size_t kMaxStateFileBytes = 64u << 20;

std::string ParentOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string BaseOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// ".NAME.tmp-<random hex>" beside `path`. Only the agent that holds the directory's lock
// writes there, so randomness only has to avoid a leftover from a previous process.
std::string TemporaryPath(const std::string& path) {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(random()));
  return absl::StrCat(ParentOf(path), "/.", BaseOf(path), ".tmp-", suffix);
}

absl::Status WriteAll(int fd, absl::string_view content, const std::string& name) {
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return absl::InternalError(absl::StrCat("cannot write ", name, ": ", std::strerror(errno)));
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Splits off the first line of `text` (without its newline); false when there is none.
bool TakeLine(absl::string_view* text, absl::string_view* line) {
  const size_t end = text->find('\n');
  if (end == absl::string_view::npos) return false;
  *line = text->substr(0, end);
  text->remove_prefix(end + 1);
  return true;
}

}  // namespace

std::string StateFileHeader(absl::string_view kind) {
  return absl::StrCat(kMagic, " ", kStateFormatVersion, " ", kind);
}

absl::Status CheckStateFileHeader(absl::string_view line, absl::string_view kind) {
  if (line.substr(0, kMagic.size() + 1) != absl::StrCat(kMagic, " ")) {
    return absl::DataLossError("not a tminus-agent state file");
  }
  line.remove_prefix(kMagic.size() + 1);
  const size_t space = line.find(' ');
  const absl::string_view version = line.substr(0, space);
  int number = 0;
  if (!absl::SimpleAtoi(version, &number)) {
    return absl::DataLossError("not a tminus-agent state file (no version)");
  }
  if (number != kStateFormatVersion) {
    return absl::DataLossError(
        absl::StrCat("version ", number, " (this agent reads version ", kStateFormatVersion, ")"));
  }
  const absl::string_view found = space == absl::string_view::npos ? "" : line.substr(space + 1);
  if (found != kind) {
    return absl::DataLossError(absl::StrCat("kind '", found, "', expected '", kind, "'"));
  }
  return absl::OkStatus();
}

std::string FrameStateFile(absl::string_view kind, absl::string_view body) {
  return absl::StrCat(StateFileHeader(kind), "\nsha256 ", Sha256Hex(body), " length ", body.size(),
                      "\n", body);
}

absl::StatusOr<std::string> UnframeStateFile(absl::string_view kind, absl::string_view text) {
  absl::string_view line;
  if (!TakeLine(&text, &line)) {
    if (text.empty()) return absl::DataLossError("empty");
    if (!absl::StartsWith(text, kMagic))
      return absl::DataLossError("not a tminus-agent state file");
    return absl::DataLossError("truncated in its first line");
  }
  if (absl::Status header = CheckStateFileHeader(line, kind); !header.ok()) return header;
  if (!TakeLine(&text, &line)) return absl::DataLossError("truncated in its second line");
  // "sha256 HEX length N"
  constexpr absl::string_view kSha = "sha256 ";
  constexpr absl::string_view kLength = " length ";
  const size_t length_at = line.find(kLength);
  size_t length = 0;
  if (line.substr(0, kSha.size()) != kSha || length_at == absl::string_view::npos ||
      !absl::SimpleAtoi(line.substr(length_at + kLength.size()), &length)) {
    return absl::DataLossError("its second line is not 'sha256 HEX length N'");
  }
  const absl::string_view checksum = line.substr(kSha.size(), length_at - kSha.size());
  if (text.size() < length) {
    return absl::DataLossError(absl::StrCat("truncated: ", text.size(), " of ", length, " bytes"));
  }
  if (text.size() > length) {
    return absl::DataLossError(
        absl::StrCat(text.size() - length, " bytes more than the ", length, " it declares"));
  }
  if (Sha256Hex(text) != checksum) return absl::DataLossError("checksum mismatch");
  return std::string(text);
}

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * sizeof digest);
  for (const unsigned char byte : digest) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0xf]);
  }
  return hex;
}

absl::StatusOr<std::string> ReadStateFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return absl::InternalError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::DataLossError(absl::StrCat(path, " is not a regular file"));
  }
  std::string text;
  char buffer[64 * 1024];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return absl::InternalError(absl::StrCat("cannot read ", path, ": ", std::strerror(error)));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxStateFileBytes) {
      ::close(fd);
      return absl::DataLossError(absl::StrCat(path, " is larger than 64 MiB"));
    }
  }
  ::close(fd);
  return text;
}

absl::Status ReplaceFileDurably(const std::string& path, absl::string_view content) {
  const std::string temporary = TemporaryPath(path);
  const int fd =
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot create ", temporary, ": ", std::strerror(errno)));
  }
  absl::Status status = WriteAll(fd, content, temporary);
  if (status.ok() && ::fsync(fd) != 0) {
    status = absl::InternalError(absl::StrCat("cannot sync ", temporary, ": ", std::strerror(errno)));
  }
  if (::close(fd) != 0 && status.ok()) {
    status = absl::InternalError(absl::StrCat("cannot close ", temporary, ": ", std::strerror(errno)));
  }
  if (status.ok() && ::rename(temporary.c_str(), path.c_str()) != 0) {
    status = absl::InternalError(
        absl::StrCat("cannot rename ", temporary, " to ", path, ": ", std::strerror(errno)));
  }
  if (!status.ok()) {
    ::unlink(temporary.c_str());
    return status;
  }
  return SyncDirectory(ParentOf(path));
}

absl::Status AppendDurably(const std::string& path, absl::string_view line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  absl::Status status = WriteAll(fd, line, path);
  if (status.ok() && ::fdatasync(fd) != 0) {
    status = absl::InternalError(absl::StrCat("cannot sync ", path, ": ", std::strerror(errno)));
  }
  ::close(fd);
  return status;
}

absl::Status RemoveDurably(const std::string& path) {
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return absl::InternalError(absl::StrCat("cannot remove ", path, ": ", std::strerror(errno)));
  }
  return SyncDirectory(ParentOf(path));
}

absl::Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot open ", dir, ": ", std::strerror(errno)));
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0)
    return absl::InternalError(absl::StrCat("cannot sync ", dir, ": ", std::strerror(error)));
  return absl::OkStatus();
}

bool IsTemporaryName(absl::string_view name) {
  return !name.empty() && name.front() == '.' && name.find(".tmp-") != absl::string_view::npos;
}

}  // namespace tminus::agent
