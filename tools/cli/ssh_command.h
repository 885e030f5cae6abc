// `tminus ssh trust HOST[:PORT]...`: the explicit way to trust SSH hosts' keys. It shows
// each key's fingerprint and adds the keys not yet known to the known_hosts file; a key
// that differs from the one on file is refused, never replaced.
#pragma once

#include <string>
#include <vector>

#include "tools/cli/commands.h"

namespace tminus::cli {

struct SshTrustArgs {
  std::vector<std::string> hosts;  // "host", "host:port", "[v6]:port"
  std::string known_hosts;         // "" : ~/.ssh/known_hosts
  int port = 22;                   // for hosts given without one
};
// 0 when every host's key is trusted now, 1 when one was changed or is otherwise not
// added, 2 for usage errors and hosts that cannot be reached.
int RunSshTrust(const SshTrustArgs& args, const Output& io);

}  // namespace tminus::cli
