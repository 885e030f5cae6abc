#include "ssh/ssh_connection.h"

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include <cstdlib>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"

namespace tminus::ssh {
namespace {

// libssh's global state is set up once, before the first session.
void InitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { ssh_init(); });
}

std::string Error(ssh_session s) { return ssh_get_error(s); }

std::string DefaultKnownHosts() {
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "") + "/.ssh/known_hosts";
}

}  // namespace

std::string Endpoint::Name() const {
  const bool v6 = host.find(':') != std::string::npos;
  return absl::StrCat(v6 ? "[" : "", host, v6 ? "]" : "", ":", port);
}

struct Connection::Session {
  ssh_session session = nullptr;
  ssh_event event = nullptr;
  ~Session() {
    if (event != nullptr) {
      ssh_event_remove_session(event, session);
      ssh_event_free(event);
    }
    if (session != nullptr) {
      if (ssh_is_connected(session)) ssh_disconnect(session);
      ssh_free(session);
    }
  }
};

struct Channel::Handle {
  ssh_channel channel = nullptr;
  ssh_channel_callbacks_struct callbacks{};
  std::string signal;
  ~Handle() {
    if (channel != nullptr) {
      if (ssh_channel_is_open(channel)) ssh_channel_close(channel);
      ssh_channel_free(channel);
    }
  }
};

namespace {

// A session connected to `e`, with its options set; not yet checked or authenticated.
absl::StatusOr<std::unique_ptr<Connection::Session>> Connect(const Endpoint& e) {
  InitOnce();
  auto s = std::make_unique<Connection::Session>();
  s->session = ssh_new();
  if (s->session == nullptr) return absl::ResourceExhaustedError("cannot create an SSH session");
  const std::string known_hosts = e.known_hosts.empty() ? DefaultKnownHosts() : e.known_hosts;
  const unsigned int port = static_cast<unsigned int>(e.port);
  long timeout_s = std::max<long>(1, static_cast<long>((e.connect_timeout.count() + 999) / 1000));
  int no = 0;
  bool failed = ssh_options_set(s->session, SSH_OPTIONS_HOST, e.host.c_str()) != 0 ||
                ssh_options_set(s->session, SSH_OPTIONS_PORT, &port) != 0 ||
                ssh_options_set(s->session, SSH_OPTIONS_TIMEOUT, &timeout_s) != 0 ||
                ssh_options_set(s->session, SSH_OPTIONS_PROCESS_CONFIG, &no) != 0 ||
                ssh_options_set(s->session, SSH_OPTIONS_KNOWNHOSTS, known_hosts.c_str()) != 0 ||
                // Only the file given counts: not the system-wide one.
                ssh_options_set(s->session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null") != 0;
  if (!failed && !e.user.empty()) failed = ssh_options_set(s->session, SSH_OPTIONS_USER, e.user.c_str()) != 0;
  if (failed) {
    return absl::InvalidArgumentError(absl::StrCat("ssh ", e.Name(), ": ", Error(s->session)));
  }
  if (ssh_connect(s->session) != SSH_OK) {
    return absl::UnavailableError(absl::StrCat("cannot connect to ", e.Name(), " over SSH: ", Error(s->session)));
  }
  return s;
}

absl::StatusOr<HostKey> ReadHostKey(ssh_session session, const Endpoint& e) {
  ssh_key key = nullptr;
  if (ssh_get_server_publickey(session, &key) != SSH_OK) {
    return absl::UnavailableError(absl::StrCat(e.Name(), " sent no host key: ", Error(session)));
  }
  HostKey out;
  out.type = ssh_key_type_to_char(ssh_key_type(key));
  unsigned char* hash = nullptr;
  size_t hash_len = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hash_len) == 0) {
    char* fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hash_len);
    if (fp != nullptr) {
      out.fingerprint = fp;
      ssh_string_free_char(fp);
    }
    ssh_clean_pubkey_hash(&hash);
  }
  ssh_key_free(key);
  char* line = nullptr;
  if (ssh_session_export_known_hosts_entry(session, &line) == SSH_OK && line != nullptr) {
    out.known_hosts_line = line;
    ssh_string_free_char(line);
  }
  switch (ssh_session_is_known_server(session)) {
    case SSH_KNOWN_HOSTS_OK: out.known = HostKey::Known::kOk; break;
    case SSH_KNOWN_HOSTS_CHANGED: out.known = HostKey::Known::kChanged; break;
    case SSH_KNOWN_HOSTS_OTHER: out.known = HostKey::Known::kOtherType; break;
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND: out.known = HostKey::Known::kUnknown; break;
    case SSH_KNOWN_HOSTS_ERROR:
      return absl::InvalidArgumentError(absl::StrCat("cannot check the host key of ", e.Name(),
                                                     " against ", e.known_hosts.empty() ? DefaultKnownHosts() : e.known_hosts,
                                                     ": ", Error(session)));
  }
  return out;
}

void OnExitSignal(ssh_session, ssh_channel, const char* signal, int, const char*, const char*, void* userdata) {
  static_cast<Channel::Handle*>(userdata)->signal = signal != nullptr ? signal : "";
}

}  // namespace

Connection::Connection(Endpoint endpoint) : endpoint_(std::move(endpoint)) {}
Connection::~Connection() = default;

absl::StatusOr<HostKey> Connection::ProbeHostKey(const Endpoint& endpoint) {
  absl::StatusOr<std::unique_ptr<Session>> s = Connect(endpoint);
  if (!s.ok()) return s.status();
  return ReadHostKey((*s)->session, endpoint);
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const Endpoint& endpoint) {
  absl::StatusOr<std::unique_ptr<Session>> s = Connect(endpoint);
  if (!s.ok()) return s.status();
  ssh_session session = (*s)->session;
  absl::StatusOr<HostKey> key = ReadHostKey(session, endpoint);
  if (!key.ok()) return key.status();
  const std::string file = endpoint.known_hosts.empty() ? DefaultKnownHosts() : endpoint.known_hosts;
  const std::string offered = absl::StrCat(key->type, " ", key->fingerprint);
  switch (key->known) {
    case HostKey::Known::kOk: break;
    case HostKey::Known::kUnknown:
      return absl::PermissionDeniedError(absl::StrCat(
          "the host key of ", endpoint.Name(), " (", offered, ") is not in ", file,
          ": check the fingerprint with the host's owner, then add it with 'tminus ssh trust ",
          endpoint.Name(), " --known-hosts ", file, "'"));
    case HostKey::Known::kChanged:
    case HostKey::Known::kOtherType:
      return absl::PermissionDeniedError(absl::StrCat(
          "THE HOST KEY OF ", endpoint.Name(), " HAS CHANGED: it offers ", offered, ", not the key ", file,
          " holds for it. Someone may be intercepting the connection, or the host was rebuilt; "
          "refusing to connect until the old key is removed from ", file, " and the new one checked"));
  }
  int rc;
  if (endpoint.identity.empty()) {
    rc = ssh_userauth_agent(session, nullptr);
  } else {
    ssh_key private_key = nullptr;
    if (ssh_pki_import_privkey_file(endpoint.identity.c_str(), nullptr, nullptr, nullptr, &private_key) != SSH_OK) {
      return absl::InvalidArgumentError(absl::StrCat("cannot read the SSH key ", endpoint.identity,
                                                     " (for ", endpoint.Name(),
                                                     "): a private key without a passphrase is needed, or "
                                                     "leave 'identity' out to use the ssh-agent"));
    }
    rc = ssh_userauth_publickey(session, nullptr, private_key);
    ssh_key_free(private_key);
  }
  if (rc != SSH_AUTH_SUCCESS) {
    char* user = nullptr;
    ssh_options_get(session, SSH_OPTIONS_USER, &user);
    const std::string who = user != nullptr ? user : "?";
    if (user != nullptr) ssh_string_free_char(user);
    return absl::PermissionDeniedError(absl::StrCat(
        endpoint.Name(), " refused ", who, "'s ",
        endpoint.identity.empty() ? "ssh-agent keys" : "key " + endpoint.identity, ": ", Error(session)));
  }
  (*s)->event = ssh_event_new();
  if ((*s)->event != nullptr) ssh_event_add_session((*s)->event, session);
  std::unique_ptr<Connection> c(new Connection(endpoint));
  c->session_ = std::move(*s);
  return c;
}

bool Connection::alive() const { return ssh_is_connected(session_->session) != 0; }

void Connection::Wait(std::chrono::milliseconds timeout) {
  if (session_->event != nullptr) ssh_event_dopoll(session_->event, static_cast<int>(timeout.count()));
}

absl::StatusOr<std::unique_ptr<Channel>> Connection::Exec(const std::string& command_line) {
  auto handle = std::make_unique<Channel::Handle>();
  handle->channel = ssh_channel_new(session_->session);
  if (handle->channel == nullptr || ssh_channel_open_session(handle->channel) != SSH_OK) {
    return absl::UnavailableError(absl::StrCat("cannot open a channel to ", endpoint_.Name(), ": ",
                                               Error(session_->session)));
  }
  handle->callbacks.userdata = handle.get();
  handle->callbacks.channel_exit_signal_function = OnExitSignal;
  ssh_callbacks_init(&handle->callbacks);
  ssh_set_channel_callbacks(handle->channel, &handle->callbacks);
  if (ssh_channel_request_exec(handle->channel, command_line.c_str()) != SSH_OK) {
    return absl::UnavailableError(absl::StrCat(endpoint_.Name(), " refused to run the command: ",
                                               Error(session_->session)));
  }
  return std::unique_ptr<Channel>(new Channel(this, std::move(handle)));
}

Channel::Channel(Connection* connection, std::unique_ptr<Handle> handle)
    : connection_(connection), handle_(std::move(handle)) {}
Channel::~Channel() = default;

bool Channel::Read(std::string* out, std::string* err) {
  char buf[16384];
  for (int is_stderr = 0; is_stderr < 2; ++is_stderr) {
    for (;;) {
      const int n = ssh_channel_read_nonblocking(handle_->channel, buf, sizeof buf, is_stderr);
      if (n <= 0) break;
      (is_stderr ? err : out)->append(buf, static_cast<size_t>(n));
    }
  }
  return !(ssh_channel_is_eof(handle_->channel) || ssh_channel_is_closed(handle_->channel));
}

bool Channel::Finish(std::string* out, std::string* err, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Read(out, err)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    connection_->Wait(std::chrono::milliseconds(50));
  }
  // exit-status (or exit-signal) follows the end of the output; the session is blocking
  // (libssh's default, never changed here), so this waits until it comes or the channel
  // closes.
  exit_status_ = ssh_channel_get_exit_status(handle_->channel);
  signal_ = handle_->signal;
  Read(out, err);
  return exit_status_ >= 0 || !signal_.empty();
}

void Channel::SendSignal(const char* signal) {
  ssh_channel_request_send_signal(handle_->channel, signal);
}

}  // namespace tminus::ssh
