#include "engine/exec/action_builder.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/status/statusor.h"

namespace tminus {

std::string Substitute(std::string_view text, const Runbook& runbook,
                       const std::map<std::string, std::string>& secrets) {
  if (text.find('$') == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '$' || i + 1 >= text.size()) {
      out += c;
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    const size_t close = text[i + 1] == '{' ? text.find('}', i + 2) : std::string_view::npos;
    if (close == std::string_view::npos) {
      out += c;
      continue;
    }
    std::string_view name = text.substr(i + 2, close - i - 2);
    if (name.substr(0, 8) == "secrets.") {
      auto it = secrets.find(std::string(name.substr(8)));
      out += it == secrets.end() ? "***" : it->second;
    } else {
      bool found = false;
      for (const Var& v : runbook.vars) {
        if (v.name.value == name) {
          out += v.value.value;
          found = true;
          break;
        }
      }
      if (!found) out += text.substr(i, close - i + 1);
    }
    i = close;
  }
  return out;
}

std::string DispatchId(const std::string& step_id, int attempt, bool rollback) {
  return step_id + (rollback ? "#rollback" : "#") + std::to_string(attempt);
}

ActionRequest BuildAttempt(const Step& step, const Action& action, int attempt, bool rollback) {
  ActionRequest r;
  r.step_id = step.id.value;
  r.attempt = attempt;
  r.rollback = rollback;
  r.dispatch_id = DispatchId(step.id.value, attempt, rollback);
  r.target = action.on.value;
  r.kind = action.kind;
  r.timeout = step.timeout.present() ? Millis(step.timeout.value.count() * 1000) : Millis(0);
  return r;
}

ActionRequest BuildRequest(const Runbook& runbook, const Step& step, const Action& action,
                           int attempt, bool rollback,
                           const std::map<std::string, std::string>& secrets) {
  ActionRequest r = BuildAttempt(step, action, attempt, rollback);
  auto sub = [&](const std::string& s) { return Substitute(s, runbook, secrets); };
  r.argv.reserve(action.command.size());
  for (const SourcedString& arg : action.command) r.argv.push_back(sub(arg.value));
  r.shell = sub(action.shell.value);
  if (action.probe) {
    r.probe = *action.probe;
    r.probe.address.value = sub(action.probe->address.value);
    r.probe.url.value = sub(action.probe->url.value);
    r.probe.name.value = sub(action.probe->name.value);
    r.probe.expect.value = sub(action.probe->expect.value);
  }
  for (const auto& [name, value] : action.env) r.env.push_back({name.value, sub(value.value)});
  if (!rollback) {
    r.expect_exit_code = step.expect.exit_code.value;
    r.expect_stdout_contains = step.expect.stdout_contains.value;
  }
  for (const auto& [name, value] : secrets) {
    if (!value.empty()) r.secret_values.push_back(value);
  }
  return r;
}

namespace {

// Appends `s` quoted for a POSIX shell, as people would paste it.
void AppendShellQuoted(std::string* out, const std::string& s) {
  if (!s.empty() && s.find_first_of(" \t\n'\"\\$`;&|<>(){}*?[]#~!") == std::string::npos) {
    *out += s;
    return;
  }
  *out += '\'';
  for (char c : s) {
    if (c == '\'') {
      *out += "'\\''";
    } else {
      *out += c;
    }
  }
  *out += '\'';
}

std::string ShellQuote(const std::string& s) {
  std::string out;
  AppendShellQuoted(&out, s);
  return out;
}

}  // namespace

std::string DescribeAction(const Action& action) {
  switch (action.kind) {
    case Action::Kind::kCommand: {
      std::string out;
      for (const SourcedString& arg : action.command) {
        if (!out.empty()) out += ' ';
        AppendShellQuoted(&out, arg.value);
      }
      return out;
    }
    case Action::Kind::kShell:
      return "sh -c " + ShellQuote(action.shell.value);
    case Action::Kind::kProbe:
      if (!action.probe) return "probe";
      switch (action.probe->kind) {
        case Probe::Kind::kTcp:
          return "probe tcp " + action.probe->address.value;
        case Probe::Kind::kHttp:
          return "probe http " + action.probe->url.value + " status " +
                 std::to_string(action.probe->status.value);
        case Probe::Kind::kDns:
          return "probe dns " + action.probe->name.value +
                 (action.probe->expect.value.empty() ? "" : " expect " + action.probe->expect.value);
      }
  }
  return "";
}

absl::StatusOr<std::map<std::string, std::string>> ResolveSecrets(const Runbook& runbook) {
  std::map<std::string, std::string> out;
  for (const Secret& s : runbook.secrets) {
    if (s.source == Secret::Source::kEnv) {
      const char* value = std::getenv(s.ref.value.c_str());
      if (!value) {
        return absl::FailedPreconditionError("secret '" + s.name.value + "': environment variable " +
                                             s.ref.value + " is not set");
      }
      out[s.name.value] = value;
    } else {
      std::ifstream in(s.ref.value, std::ios::binary);
      if (!in) {
        return absl::FailedPreconditionError("secret '" + s.name.value + "': cannot read file " +
                                             s.ref.value);
      }
      std::stringstream buffer;
      buffer << in.rdbuf();
      std::string value = buffer.str();
      while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
      out[s.name.value] = value;
    }
  }
  return out;
}

}  // namespace tminus
