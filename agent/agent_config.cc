#include "agent/agent_config.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "net/loopback.h"
#include "net/tls.h"

namespace tminus::agent {
namespace {

bool IsKeyChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
         c == '/';
}

}  // namespace

absl::StatusOr<std::pair<std::string, std::string>> ParseLabel(std::string_view label) {
  const std::string text(label);
  const size_t equals = text.find('=');
  if (equals == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--label '", text, "' is not KEY=VALUE, e.g. --label role=db"));
  }
  const std::string key = text.substr(0, equals);
  const std::string value = text.substr(equals + 1);
  if (key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--label '", text, "' has no key before '='"));
  }
  for (const char c : key) {
    if (!IsKeyChar(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--label '", text, "': the key may hold only letters, digits and . _ - /"));
    }
  }
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--label '", text, "' has no value after '='"));
  }
  for (const char c : value) {
    if (absl::ascii_iscntrl(static_cast<unsigned char>(c)) || c == ',') {
      return absl::InvalidArgumentError(absl::StrCat(
          "--label '", key, "=...': the value may not hold commas or control characters"));
    }
  }
  return std::make_pair(key, value);
}

absl::StatusOr<AgentConfig> ResolveConfig(const AgentFlags& flags) {
  AgentConfig config;
  if (flags.coordinator.empty()) {
    return absl::InvalidArgumentError("--coordinator is empty; give HOST:PORT");
  }
  config.coordinator = flags.coordinator;

  if (flags.insecure && !flags.tls_dir.empty()) {
    return absl::InvalidArgumentError("--insecure and --tls-dir exclude each other; choose one");
  }
  if (!flags.insecure && flags.tls_dir.empty()) {
    return absl::InvalidArgumentError(
        "give --tls-dir DIR (with ca.crt, agent.crt and agent.key), or --insecure for a "
        "coordinator on this host");
  }
  if (flags.insecure && !net::IsLoopbackAddress(flags.coordinator)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--insecure sends everything in plaintext, so it is allowed only to a coordinator on "
        "this host (127.x.x.x, localhost, [::1]), not '",
        flags.coordinator, "'; use --tls-dir"));
  }
  config.tls_dir = flags.tls_dir;

  if (!flags.id.empty()) {
    config.id = flags.id;
  } else if (!flags.tls_dir.empty()) {
    absl::StatusOr<std::string> common_name =
        net::CertificateCommonName(flags.tls_dir + "/agent.crt");
    if (!common_name.ok()) {
      // Say why the agent read the certificate at all, and how to do without it.
      return absl::Status(common_name.status().code(),
                          absl::StrCat(common_name.status().message(),
                                       " (the agent's id is that certificate's common name "
                                       "unless --id is given)"));
    }
    config.id = *std::move(common_name);
  } else {
    return absl::InvalidArgumentError(
        "--id is required with --insecure (there is no certificate to take it from)");
  }
  for (const char c : config.id) {
    if (absl::ascii_iscntrl(static_cast<unsigned char>(c)) || c == ' ') {
      return absl::InvalidArgumentError("the agent id may not hold spaces or control characters");
    }
  }

  for (const std::string& text : flags.labels) {
    absl::StatusOr<std::pair<std::string, std::string>> label = ParseLabel(text);
    if (!label.ok()) return label.status();
    if (!config.labels.emplace(label->first, label->second).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("--label '", label->first, "' is given twice; give each key once"));
    }
  }

  if (flags.max_concurrent < 1 || flags.max_concurrent > kMaxConcurrentLimit) {
    return absl::InvalidArgumentError(absl::StrCat("--max-concurrent ", flags.max_concurrent,
                                                   " is out of range; give 1 to ",
                                                   kMaxConcurrentLimit));
  }
  config.max_concurrent = static_cast<size_t>(flags.max_concurrent);
  if (flags.output_cap < 1 || flags.output_cap > kMaxOutputCap) {
    return absl::InvalidArgumentError(absl::StrCat("--output-cap ", flags.output_cap,
                                                   " is out of range; give 1 to ", kMaxOutputCap,
                                                   " bytes"));
  }
  config.output_cap_bytes = static_cast<size_t>(flags.output_cap);
  config.state_dir = flags.state_dir;  // checked when it is opened (and locked)
  return config;
}

}  // namespace tminus::agent
