// One SSH session to one host (libssh): connected with a timeout, the host key checked
// strictly against a known_hosts file, the user authenticated with a key file or the
// ssh-agent; then commands, one channel each. Blocking: callers run it on their own
// threads, never on the engine's strand. Not thread-safe: one thread uses a connection
// (and its channels) at a time.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tminus::ssh {

struct Endpoint {
  std::string host;
  int port = 22;
  std::string user;          // "" : the coordinator's user
  std::string identity;      // a private key file; "" : the ssh-agent (SSH_AUTH_SOCK)
  std::string known_hosts;   // "" : ~/.ssh/known_hosts
  std::chrono::milliseconds connect_timeout{10000};

  // "host:port" for messages ("[::1]:22" for IPv6 literals).
  std::string Name() const;
};

// What a server's host key is, and what the known_hosts file says of it.
struct HostKey {
  enum class Known { kOk, kUnknown, kChanged, kOtherType };
  Known known = Known::kUnknown;
  std::string type;         // "ssh-ed25519"
  std::string fingerprint;  // "SHA256:..."
  std::string known_hosts_line;  // the line that trusts it, for `tminus ssh trust`
};

class Channel;

class Connection {
 public:
  // Connects, checks the host key and authenticates. The errors name the host:
  // UNAVAILABLE (cannot connect, timed out), PERMISSION_DENIED (host key unknown or
  // changed, with the fingerprint offered; authentication refused), INVALID_ARGUMENT (an
  // unreadable key or known_hosts file).
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const Endpoint& endpoint);
  // Connects and reads the host key without authenticating or trusting anything: what
  // `tminus ssh trust` shows before it adds a key.
  static absl::StatusOr<HostKey> ProbeHostKey(const Endpoint& endpoint);
  ~Connection();

  // Starts `command_line` (run by the remote user's shell) on a new channel.
  absl::StatusOr<std::unique_ptr<Channel>> Exec(const std::string& command_line);
  // Waits up to `timeout` for anything to arrive on any of the session's channels.
  void Wait(std::chrono::milliseconds timeout);
  // False once the session broke (the server went away); every channel is then gone too.
  bool alive() const;
  const Endpoint& endpoint() const { return endpoint_; }

  struct Session;

 private:
  explicit Connection(Endpoint endpoint);
  Endpoint endpoint_;
  std::unique_ptr<Session> session_;
  friend class Channel;
};

// One command on a connection. Read() never blocks; the connection's Wait() is how a
// caller sleeps until there is something to read.
class Channel {
 public:
  ~Channel();  // closes the channel (the command, if still running, sees its pipes close)

  // Appends what has arrived on stdout and stderr; false once both are at their end.
  bool Read(std::string* out, std::string* err);
  // The command's exit status once it has ended (-1 while unknown, or when it was killed
  // by a signal: then `signal` names it).
  int exit_status() const { return exit_status_; }
  const std::string& signal() const { return signal_; }
  // Reads what is left and waits (up to `timeout`) for the exit status after both streams
  // ended. False when it did not come.
  bool Finish(std::string* out, std::string* err, std::chrono::milliseconds timeout);
  // Asks the server to send `signal` ("TERM", "KILL") to the command. OpenSSH honours this
  // from version 7.9; closing the channel is the fallback.
  void SendSignal(const char* signal);

  struct Handle;

 private:
  Channel(Connection* connection, std::unique_ptr<Handle> handle);
  Connection* connection_;
  std::unique_ptr<Handle> handle_;
  int exit_status_ = -1;
  std::string signal_;
  friend class Connection;
};

}  // namespace tminus::ssh
