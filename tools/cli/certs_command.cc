// The certs commands: call the net library, then list what it made and say what to copy where.
#include "tools/cli/certs_command.h"

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_join.h"
#include "net/cert_names.h"
#include "net/certs.h"
#include "tools/cli/terminal.h"

namespace tminus::cli {
namespace {

int ExitCodeFor(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument ? kExitInvalid : kExitUsage;
}

bool IsKey(const std::string& path) {
  return path.size() >= 4 && path.compare(path.size() - 4, 4, ".key") == 0;
}

std::string WithSlash(const std::string& dir) {
  return !dir.empty() && dir.back() == '/' ? dir : dir + "/";
}

void ListCreated(const net::CreatedFiles& created, const Style& style, std::ostream& out) {
  for (const std::string& path : created) {
    out << "  " << path;
    if (IsKey(path)) out << style.Dim("  (private key, mode 0600)");
    out << "\n";
  }
}

// What to do with each agent's folder.
void AgentInstructions(const std::string& dir, const std::vector<std::string>& agents,
                       std::ostream& out) {
  if (agents.empty()) {
    out << "Agents: none yet; issue their certificates with 'tminus certs add-agent " << dir
        << " ID...'\n";
    return;
  }
  out << "Agents: copy each agent's folder to its host (it holds the agent's private key: use\n"
         "scp or configuration management), then start the agent there; DIR is the copied\n"
         "folder and HOST a name in the coordinator's certificate:\n";
  for (const std::string& id : agents) {
    out << "  copy " << WithSlash(dir) << "agents/" << id << "/ to the host of " << id
        << " and start: tminus-agent --coordinator HOST:PORT --tls-dir DIR\n";
  }
}

}  // namespace

int RunCertsInit(const CertsInitArgs& args, const Output& io) {
  Style style;
  style.color = io.color_out;
  net::CertsOptions options;
  options.agent_ids = args.agents;
  options.coordinator_hosts = args.hosts;
  absl::StatusOr<net::CreatedFiles> created = net::InitCertificates(args.dir, options);
  if (!created.ok()) {
    io.err << "tminus certs init: " << created.status().message() << "\n";
    return ExitCodeFor(created.status());
  }
  // Valid: InitCertificates checked the same list.
  absl::StatusOr<net::HostNames> names = net::CoordinatorHostNames(args.hosts);
  std::vector<std::string> all_names = names->dns;
  all_names.insert(all_names.end(), names->ip.begin(), names->ip.end());

  io.out << style.Bold("Created a CA and certificates in " + args.dir) << ":\n";
  ListCreated(*created, style, io.out);
  io.out << "\nThe coordinator's certificate names " << absl::StrJoin(all_names, ", ")
         << ":\nagents must dial it by one of these ('certs init --host' adds names to a new CA).\n"
         << "Keep " << WithSlash(args.dir) << "ca.key here: whoever has it can make agents.\n\n"
         << "Coordinator: tminus run RUNBOOK --listen ADDRESS:PORT --tls-dir " << args.dir << "\n";
  AgentInstructions(args.dir, args.agents, io.out);
  return kExitOk;
}

int RunCertsAddAgent(const CertsAddAgentArgs& args, const Output& io) {
  Style style;
  style.color = io.color_out;
  absl::StatusOr<net::CreatedFiles> created = net::AddAgentCertificates(args.dir, args.agents);
  if (!created.ok()) {
    io.err << "tminus certs add-agent: " << created.status().message() << "\n";
    return ExitCodeFor(created.status());
  }
  io.out << style.Bold("Issued " + std::to_string(args.agents.size()) + " agent certificate" +
                       (args.agents.size() == 1 ? "" : "s") + " from the CA in " + args.dir)
         << ":\n";
  ListCreated(*created, style, io.out);
  io.out << "\n";
  AgentInstructions(args.dir, args.agents, io.out);
  return kExitOk;
}

}  // namespace tminus::cli
