// Helpers for tests that run real processes and sockets: a FIFO a child writes to (so a
// test knows the child is running without sleeping), listening sockets on port 0, and
// descriptor counting.
#pragma once

#include <chrono>
#include <cstdlib>
#include <string>

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace tminus::testing {

// How long a test waits for anything before it fails: generous, never a synchronisation.
constexpr std::chrono::seconds kBound{30};
constexpr int kBoundMs = 30'000;

// Open descriptors of this process.
inline int CountOpenFds() {
  int count = 0;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // the directory's own descriptor
}

// A named pipe in a fresh temporary directory, opened for reading. A child writes a line
// to it ("echo $$ > \"$FIFO\"") and the test blocks on ReadLine() until it arrives.
class Fifo {
 public:
  Fifo() {
    char dir[] = "/tmp/tminus-fifo-XXXXXX";
    if (mkdtemp(dir) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
      return;
    }
    dir_ = dir;
    path_ = dir_ + "/fifo";
    if (mkfifo(path_.c_str(), 0600) != 0) ADD_FAILURE() << "mkfifo failed";
    fd_ = open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) ADD_FAILURE() << "cannot open " << path_;
  }
  ~Fifo() {
    if (fd_ >= 0) close(fd_);
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  Fifo(const Fifo&) = delete;
  Fifo& operator=(const Fifo&) = delete;

  const std::string& path() const { return path_; }

  // The next line written to the FIFO, without its newline; "" after kBound.
  std::string ReadLine() {
    std::string line;
    while (true) {
      const size_t end = pending_.find('\n');
      if (end != std::string::npos) {
        line = pending_.substr(0, end);
        pending_.erase(0, end + 1);
        return line;
      }
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, kBoundMs) != 1) {
        ADD_FAILURE() << "nothing written to the fifo";
        return "";
      }
      char buffer[256];
      const ssize_t got = read(fd_, buffer, sizeof(buffer));
      if (got > 0) {
        pending_.append(buffer, static_cast<size_t>(got));
      } else if (got == 0) {
        ADD_FAILURE() << "the writer closed the fifo before a full line";
        return "";
      }
    }
  }

 private:
  std::string dir_;
  std::string path_;
  int fd_ = -1;
  std::string pending_;
};

// A descriptor that becomes readable when process `pid` exits. Open it while the process
// is known to run; -1 when it has already gone.
inline int OpenPidFd(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// False where pidfd_open is unknown (old kernels; valgrind).
inline bool PidFdsWork() {
  const int fd = OpenPidFd(getpid());
  if (fd < 0) return false;
  close(fd);
  return true;
}

// True when the process behind `pidfd` exits within kBound (or `pidfd` is -1: gone).
inline bool ExitsWithinBound(int pidfd) {
  if (pidfd < 0) return true;
  pollfd p{pidfd, POLLIN, 0};
  const bool exited = poll(&p, 1, kBoundMs) == 1;
  close(pidfd);
  return exited;
}

// A TCP socket listening on 127.0.0.1 and an ephemeral port.
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        listen(fd_, 16) != 0) {
      ADD_FAILURE() << "cannot listen on 127.0.0.1";
    }
    socklen_t length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~Listener() { Close(); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  int fd() const { return fd_; }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A port on 127.0.0.1 that nothing listens on (bound, then released).
inline int ClosedPort() {
  Listener listener;
  const int port = listener.port();
  listener.Close();
  return port;
}

}  // namespace tminus::testing
