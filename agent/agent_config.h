// The agent's command line, checked: labels parsed, the id taken from the certificate when
// not given, plaintext allowed only to a coordinator on this host. Every error says which
// flag is wrong and how to fix it; main() prints it and exits with the usage code.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace tminus::agent {

// The flags as given.
struct AgentFlags {
  std::string coordinator;
  std::vector<std::string> labels;  // KEY=VALUE each
  std::string token_file;           // accepted, not used yet
  std::string tls_dir;
  std::string id;
  bool insecure = false;
  int max_concurrent = 4;
  long long output_cap = 64 * 1024;
  std::string state_dir;
};

// What the agent runs with.
struct AgentConfig {
  std::string coordinator;
  std::string id;
  std::map<std::string, std::string> labels;
  std::string tls_dir;  // empty: plaintext (loopback only)
  size_t max_concurrent = 4;
  size_t output_cap_bytes = 64 * 1024;
  std::string state_dir;  // empty: attempts and results are kept in memory only
};

// The largest --output-cap: two tails of this size and the rest of a Result stay well
// under gRPC's default 4 MiB message limit, which a coordinator would otherwise enforce
// by breaking the stream on every redelivery.
constexpr long long kMaxOutputCap = 1 << 20;
constexpr int kMaxConcurrentLimit = 1024;

// "role=db" -> {"role", "db"}. A key is letters, digits and ". _ - /"; a value is not
// empty and has no control characters or commas.
absl::StatusOr<std::pair<std::string, std::string>> ParseLabel(std::string_view text);

// Checks `flags` and fills in what they leave out (the id from DIR/agent.crt).
absl::StatusOr<AgentConfig> ResolveConfig(const AgentFlags& flags);

}  // namespace tminus::agent
