// Reading and writing the files that hold keys and certificates. Reads fail with a message
// that names the file and says what is wrong. Writes never overwrite anything and never leave
// a partly written file under its final name: a crash leaves the file complete or absent (at
// worst with a hidden ".NAME.tmp-*" file beside it).
#pragma once

#include <string>
#include <vector>

#include <sys/types.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tminus::net {

// The whole of a small file (at most 1 MiB, far more than any key or certificate).
// NOT_FOUND "PATH: no such file"; PERMISSION_DENIED, FAILED_PRECONDITION (a directory, too
// large) or INTERNAL otherwise, each naming PATH.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path);

// Creates `path` holding `content`, with `mode` (less the umask) from the start: the data
// goes to a temporary file in the same folder (created O_EXCL with `mode`), is fsynced, then
// renamed to `path` without replacing anything, and the folder is fsynced. ALREADY_EXISTS
// naming `path` when it exists; INTERNAL naming the file for any other failure.
absl::Status WriteNewFile(const std::string& path, const std::string& content, mode_t mode);

// Writes `path` whole, replacing what it held, the same way (temporary file, fsync, rename,
// fsync of the folder): a crash leaves the old content or the new, never a mix.
absl::Status ReplaceFile(const std::string& path, const std::string& content, mode_t mode);

// Creates the folder `path` (mode 0700) if it is missing. FAILED_PRECONDITION when it exists
// as something other than a folder.
absl::Status EnsurePrivateDirectory(const std::string& path);

struct NewFile {
  std::string relative_path;  // "agent.key", or "agents/a/agent.key" (folders made 0700)
  std::string content;
  mode_t mode;
};

// Creates the folder `path` (mode 0700) holding `files`, all at once: they are written to a
// hidden folder beside it, fsynced, and the folder is renamed to `path` without replacing
// anything. ALREADY_EXISTS naming `path` when it exists; nothing is left behind on failure.
absl::Status WriteNewDirectory(const std::string& path, const std::vector<NewFile>& files);

}  // namespace tminus::net
