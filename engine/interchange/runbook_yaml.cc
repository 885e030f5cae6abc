#include "engine/interchange/runbook_yaml.h"

#include <cstdio>

namespace tminus {
namespace {

// Plain scalars are kept to what no YAML reader takes for anything but text: a lower-case
// letter, then letters, digits, '-', '_' and '.', and none of the words YAML 1.1 reads
// as booleans or null.
bool SafePlain(const std::string& text) {
  if (text.empty() || !(text[0] >= 'a' && text[0] <= 'z')) return false;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                    c == '.';
    if (!ok) return false;
  }
  static const char* const kWords[] = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"};
  for (const char* word : kWords) {
    if (text == word) return false;
  }
  return true;
}

// A comment line's text: one line, no control characters.
std::string CommentText(const std::string& text) {
  std::string out;
  for (char c : text) out += static_cast<unsigned char>(c) < 0x20 || c == 0x7F ? ' ' : c;
  return out;
}

std::string FlowList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += YamlScalar(items[i]);
  }
  return out + "]";
}

}  // namespace

std::string YamlScalar(const std::string& text) {
  if (SafePlain(text)) return text;
  std::string out = "\"";
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02X", c);
          out += buf;
        } else if (c == 0xC2 && i + 1 < text.size() && text[i + 1] == '\x85') {
          out += "\\N";  // NEL, U+0085: a line break to YAML
          ++i;
        } else if (c == 0xE2 && i + 2 < text.size() && text[i + 1] == '\x80' &&
                   (text[i + 2] == '\xA8' || text[i + 2] == '\xA9')) {
          out += text[i + 2] == '\xA8' ? "\\L" : "\\P";  // U+2028, U+2029
          i += 2;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string WriteSkeletonYaml(const SkeletonRunbook& rb) {
  std::string out;
  for (const std::string& line : rb.header) out += "# " + CommentText(line) + "\n";
  out += "runbook: 1\n";
  out += "name: " + YamlScalar(rb.name) + "\n";
  if (rb.t0) {
    out += "window:\n  start: " + FormatIsoTime(rb.t0->unix_seconds, rb.t0->utc_offset_minutes) +
           "\n";
  }
  if (!rb.roles.empty()) {
    out += "roles:                # one role per owner in the sheet: list who really holds each\n";
    for (const auto& [role, people] : rb.roles) {
      out += "  " + YamlScalar(role) + ": " + FlowList(people) + "\n";
    }
  }
  out += "steps:\n";
  for (const SkeletonStep& s : rb.steps) {
    if (!s.comment.empty()) out += "  # " + CommentText(s.comment) + "\n";
    out += "  - id: " + YamlScalar(s.id) + "\n";
    if (!s.title.empty()) out += "    title: " + YamlScalar(s.title) + "\n";
    out += std::string("    type: ") + StepTypeName(s.type) + "\n";
    if (!s.stream.empty()) out += "    stream: " + YamlScalar(s.stream) + "\n";
    if (!s.owner.empty()) out += "    owner: " + YamlScalar(s.owner) + "\n";
    if (!s.needs.empty()) out += "    needs: " + FlowList(s.needs) + "\n";
    if (s.type != StepType::kMilestone) out += "    duration: " + FormatDuration(s.duration) + "\n";
    if (s.not_before) out += "    not_before: " + FormatTTime(*s.not_before) + "\n";
    if (s.type == StepType::kTask || s.type == StepType::kCheck) {
      out += "    run: {on: local, command: [\"false\"]}   # placeholder: put the real action here";
      out += "\n";
    }
  }
  return out;
}

}  // namespace tminus
