// A real OpenSSH server for tests: its own host key, config and port on loopback, started
// with /usr/sbin/sshd -D and stopped by PID. Logins go to a dedicated account with a
// plain /bin/sh (created here when running as root), so a login shell's start-up files do
// not slow every command down; without root, the server runs as the current user and
// only that user can log in.
#pragma once

#include <sys/types.h>

#include <string>

namespace tminus::testing {

class Sshd {
 public:
  // Starts a server in `dir` (which must exist). ok() says whether it runs; why() why not.
  explicit Sshd(const std::string& dir);
  ~Sshd();  // stops it

  bool ok() const { return pid_ > 0; }
  const std::string& why() const { return why_; }
  int port() const { return port_; }
  const std::string& user() const { return user_; }
  // A private key the server accepts for user(), and one it does not.
  const std::string& user_key() const { return user_key_; }
  const std::string& stranger_key() const { return stranger_key_; }
  // A known_hosts file that holds this server's key, one with another key for it, and an
  // empty one.
  const std::string& known_hosts() const { return known_hosts_; }
  const std::string& wrong_known_hosts() const { return wrong_known_hosts_; }
  const std::string& empty_known_hosts() const { return empty_known_hosts_; }

 private:
  std::string dir_;
  std::string why_;
  std::string user_;
  std::string user_key_;
  std::string stranger_key_;
  std::string known_hosts_;
  std::string wrong_known_hosts_;
  std::string empty_known_hosts_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace tminus::testing
