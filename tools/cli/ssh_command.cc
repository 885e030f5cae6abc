#include "tools/cli/ssh_command.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "ssh/ssh_connection.h"

namespace tminus::cli {
namespace {

// "host", "host:port" or "[v6]:port" into an endpoint; false when the port is not one.
bool ParseHost(const std::string& text, int default_port, ssh::Endpoint* e) {
  std::string host = text;
  std::string port;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string::npos) return false;
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') return false;
      port = host.substr(close + 2);
    }
    host = host.substr(1, close - 1);
  } else if (std::count(host.begin(), host.end(), ':') == 1) {
    port = host.substr(host.find(':') + 1);
    host = host.substr(0, host.find(':'));
  }
  e->host = host;
  e->port = default_port;
  if (!port.empty()) {
    if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5) return false;
    e->port = std::atoi(port.c_str());
    if (e->port < 1 || e->port > 65535) return false;
  }
  return !host.empty();
}

}  // namespace

int RunSshTrust(const SshTrustArgs& args, const Output& io) {
  std::string file = args.known_hosts;
  if (file.empty()) {
    const char* home = std::getenv("HOME");
    const std::string dir = std::string(home != nullptr ? home : "") + "/.ssh";
    mkdir(dir.c_str(), 0700);
    file = dir + "/known_hosts";
  }
  int worst = kExitOk;
  for (const std::string& text : args.hosts) {
    ssh::Endpoint e;
    if (!ParseHost(text, args.port, &e)) {
      io.err << "tminus ssh trust: '" << text << "' is not HOST, HOST:PORT or [ADDRESS]:PORT\n";
      return kExitUsage;
    }
    e.known_hosts = file;
    absl::StatusOr<ssh::HostKey> key = ssh::Connection::ProbeHostKey(e);
    if (!key.ok()) {
      io.err << "tminus ssh trust: " << key.status().message() << "\n";
      worst = kExitUsage;
      continue;
    }
    const std::string shown = e.Name() + "  " + key->type + " " + key->fingerprint;
    switch (key->known) {
      case ssh::HostKey::Known::kOk:
        io.out << shown << "  already trusted in " << file << "\n";
        break;
      case ssh::HostKey::Known::kChanged:
      case ssh::HostKey::Known::kOtherType:
        io.err << "tminus ssh trust: " << shown << " is NOT the key " << file << " holds for "
               << e.Name() << ". Someone may be intercepting the connection, or the host was "
               << "rebuilt: check with its owner, remove the old line from " << file
               << ", then trust it again\n";
        worst = std::max<int>(worst, kExitInvalid);
        break;
      case ssh::HostKey::Known::kUnknown: {
        if (key->known_hosts_line.empty()) {
          io.err << "tminus ssh trust: no known_hosts line for " << e.Name() << "\n";
          worst = std::max<int>(worst, kExitInvalid);
          break;
        }
        const bool existed = access(file.c_str(), F_OK) == 0;
        std::ofstream out(file, std::ios::app);
        out << key->known_hosts_line << "\n";
        out.close();
        if (!out) {
          io.err << "tminus ssh trust: cannot write " << file << "\n";
          return kExitUsage;
        }
        if (!existed) chmod(file.c_str(), 0600);
        io.out << shown << "  added to " << file << "\n";
        break;
      }
    }
  }
  return worst;
}

}  // namespace tminus::cli
