// `tminus certs init` and `tminus certs add-agent`: a private CA, the coordinator's
// certificate and a folder per agent for mutual TLS, listed with what to copy where. The
// work is done by the net library (net/certs.h); this file only reports.
#pragma once

#include <string>
#include <vector>

#include "tools/cli/commands.h"

namespace tminus::cli {

struct CertsInitArgs {
  std::string dir;
  std::vector<std::string> agents;  // --agent, repeated
  std::vector<std::string> hosts;   // --host: names and addresses agents dial
};
// 0 when everything was created, 1 for a bad agent id or host, 2 when DIR cannot be used
// (it holds a CA already, a file is in the way, the file system fails).
int RunCertsInit(const CertsInitArgs& args, const Output& io);

struct CertsAddAgentArgs {
  std::string dir;
  std::vector<std::string> agents;
};
// 0 when every agent's folder was created, 1 for a bad agent id, 2 when DIR holds no usable
// CA or an agent's folder exists.
int RunCertsAddAgent(const CertsAddAgentArgs& args, const Output& io);

}  // namespace tminus::cli
