// Whole-file reads with clear errors, and writes that are atomic and never overwrite.
#include "net/secure_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <system_error>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace tminus::net {
namespace {

constexpr size_t kMaxFileBytes = 1 << 20;

std::string ErrnoText(int error) { return std::strerror(error); }

// "certs/" names the folder "certs" (what shell completion types).
std::string WithoutTrailingSlash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string ParentOf(const std::string& path) {
  const std::string parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

std::string BaseOf(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

// A name no other writer picks: ".BASE.tmp-<random hex>" in the same folder.
std::string TemporaryName(const std::string& path) {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(random()));
  return absl::StrCat(ParentOf(path), "/.", BaseOf(path), ".tmp-", suffix);
}

// Makes a rename or a new file in `dir` durable.
absl::Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat(dir, ": cannot open: ", ErrnoText(errno)));
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) return absl::InternalError(absl::StrCat(dir, ": cannot sync: ", ErrnoText(error)));
  return absl::OkStatus();
}

// Renames `from` to `to` unless `to` exists. Falls back to a check and a plain rename on file
// systems without RENAME_NOREPLACE (the check and the rename are then two steps).
int RenameNoReplace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  struct stat st;
  if (::lstat(to.c_str(), &st) == 0) {
    errno = EEXIST;
    return -1;
  }
  return ::rename(from.c_str(), to.c_str());
}

absl::Status WriteAll(int fd, const std::string& content, const std::string& name) {
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::InternalError(absl::StrCat(name, ": cannot write: ", ErrnoText(errno)));
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    return absl::InternalError(absl::StrCat(name, ": cannot sync: ", ErrnoText(errno)));
  }
  return absl::OkStatus();
}

// Creates `path` (which must not exist) with `content`, synced, under its final name at once.
absl::Status CreateSynced(const std::string& path, const std::string& content, mode_t mode,
                          const std::string& name) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) {
    if (errno == EEXIST) return absl::AlreadyExistsError(absl::StrCat(name, ": already exists"));
    return absl::InternalError(absl::StrCat(name, ": cannot create: ", ErrnoText(errno)));
  }
  absl::Status written = WriteAll(fd, content, name);
  if (::close(fd) != 0 && written.ok()) {
    written = absl::InternalError(absl::StrCat(name, ": cannot close: ", ErrnoText(errno)));
  }
  if (!written.ok()) ::unlink(path.c_str());
  return written;
}

absl::Status SyncTree(const std::string& root) {
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory()) {
      if (absl::Status s = SyncDirectory(it->path().string()); !s.ok()) return s;
    }
  }
  if (ec) return absl::InternalError(absl::StrCat(root, ": cannot list: ", ec.message()));
  return SyncDirectory(root);
}

}  // namespace

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    if (error == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    if (error == EACCES) {
      return absl::PermissionDeniedError(absl::StrCat(path, ": permission denied"));
    }
    return absl::InternalError(absl::StrCat(path, ": cannot open: ", ErrnoText(error)));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);
    return absl::InternalError(absl::StrCat(path, ": cannot read: ", ErrnoText(error)));
  }
  if (!S_ISREG(st.st_mode)) {
    const bool is_dir = S_ISDIR(st.st_mode);
    ::close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat(path, is_dir ? ": is a folder, not a file" : ": is not a regular file"));
  }
  std::string text;
  char buffer[8192];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return absl::InternalError(absl::StrCat(path, ": cannot read: ", ErrnoText(error)));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxFileBytes) {
      ::close(fd);
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": larger than 1 MiB, which no key or certificate file is"));
    }
  }
  ::close(fd);
  return text;
}

absl::Status WriteNewFile(const std::string& path_arg, const std::string& content, mode_t mode) {
  const std::string path = WithoutTrailingSlash(path_arg);
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    return absl::AlreadyExistsError(absl::StrCat(path, ": already exists; not overwritten"));
  }
  const std::string temporary = TemporaryName(path);
  if (absl::Status s = CreateSynced(temporary, content, mode, path); !s.ok()) return s;
  if (RenameNoReplace(temporary, path) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    if (error == EEXIST) {
      return absl::AlreadyExistsError(absl::StrCat(path, ": already exists; not overwritten"));
    }
    return absl::InternalError(absl::StrCat(path, ": cannot create: ", ErrnoText(error)));
  }
  return SyncDirectory(ParentOf(path));
}

absl::Status ReplaceFile(const std::string& path_arg, const std::string& content, mode_t mode) {
  const std::string path = WithoutTrailingSlash(path_arg);
  const std::string temporary = TemporaryName(path);
  if (absl::Status s = CreateSynced(temporary, content, mode, path); !s.ok()) return s;
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return absl::InternalError(absl::StrCat(path, ": cannot replace: ", ErrnoText(error)));
  }
  return SyncDirectory(ParentOf(path));
}

absl::Status EnsurePrivateDirectory(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) == 0) return SyncDirectory(ParentOf(path));
  const int error = errno;
  struct stat st;
  if (error == EEXIST && ::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(path, ": exists and is not a folder"));
  }
  return absl::InternalError(absl::StrCat(path, ": cannot create the folder: ", ErrnoText(error)));
}

absl::Status WriteNewDirectory(const std::string& path_arg, const std::vector<NewFile>& files) {
  const std::string path = WithoutTrailingSlash(path_arg);
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    return absl::AlreadyExistsError(absl::StrCat(path, ": already exists; not overwritten"));
  }
  std::string staging = TemporaryName(path) + "XXXXXX";
  if (::mkdtemp(staging.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat(path, ": cannot create a folder beside it: ", ErrnoText(errno)));
  }
  auto fail = [&](absl::Status status) {
    std::error_code ignored;
    std::filesystem::remove_all(staging, ignored);
    return status;
  };
  for (const NewFile& file : files) {
    const std::filesystem::path relative(file.relative_path);
    std::string dir = staging;
    for (const auto& part : relative.parent_path()) {
      dir += "/" + part.string();
      if (absl::Status s = EnsurePrivateDirectory(dir); !s.ok()) return fail(s);
    }
    const std::string final_name = path + "/" + file.relative_path;
    if (absl::Status s =
            CreateSynced(staging + "/" + file.relative_path, file.content, file.mode, final_name);
        !s.ok()) {
      return fail(s);
    }
  }
  if (absl::Status s = SyncTree(staging); !s.ok()) return fail(s);
  if (RenameNoReplace(staging, path) != 0) {
    const int error = errno;
    if (error == EEXIST || error == ENOTEMPTY) {
      return fail(
          absl::AlreadyExistsError(absl::StrCat(path, ": already exists; not overwritten")));
    }
    return fail(absl::InternalError(absl::StrCat(path, ": cannot create: ", ErrnoText(error))));
  }
  return SyncDirectory(ParentOf(path));
}

}  // namespace tminus::net
