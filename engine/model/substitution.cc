#include "engine/model/substitution.h"

namespace tminus {
namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-'; }

}  // namespace

bool ScanReferences(std::string_view text, std::vector<VarRef>* refs, std::string* why) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size()) continue;
    if (text[i + 1] == '$') {
      ++i;  // "$$" is a literal "$"
      continue;
    }
    if (text[i + 1] != '{') continue;
    const size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      *why = "'${' at character " + std::to_string(i + 1) + " is not closed by '}'";
      return false;
    }
    std::string_view name = text.substr(i + 2, close - i - 2);
    VarRef ref;
    ref.offset = i;
    if (name.substr(0, 8) == "secrets.") {
      ref.secret = true;
      name.remove_prefix(8);
    }
    bool ok = !name.empty() && IsNameStart(name[0]);
    for (char c : name) ok = ok && IsNameChar(c);
    if (!ok) {
      *why = "'${" + std::string(text.substr(i + 2, close - i - 2)) +
             "}' is not a valid reference; write ${name} or ${secrets.name} ($$ for a literal $)";
      return false;
    }
    ref.name = std::string(name);
    refs->push_back(std::move(ref));
    i = close;
  }
  return true;
}

}  // namespace tminus
