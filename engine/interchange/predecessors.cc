#include "engine/interchange/predecessors.h"

#include "engine/interchange/sheet_values.h"

namespace tminus {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "FS", "SS", "FF" or "SF" at the end of `text` (any case), upper-cased; "" otherwise.
std::string LinkTypeSuffix(std::string_view text) {
  if (text.size() < 2) return "";
  std::string type;
  for (char c : text.substr(text.size() - 2)) {
    type += c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return type == "FS" || type == "SS" || type == "FF" || type == "SF" ? type : "";
}

// A lag after its sign: a duration, or a percentage of the predecessor's duration.
bool IsLag(std::string_view text, bool* zero) {
  text = Trim(text);
  if (!text.empty() && text.back() == '%') {
    *zero = Trim(text.substr(0, text.size() - 1)).find_first_not_of("0.") == std::string_view::npos;
    return !text.substr(0, text.size() - 1).empty();
  }
  std::string why;
  std::optional<Seconds> d = ParseSheetDuration(text, &why);
  if (!d) return false;
  *zero = d->count() == 0;
  return true;
}

// Reads "REF", "REF TYPE" or "REF TYPE LAG" (also "REF LAG"); false when no split names a
// known task.
bool ReadLink(std::string_view entry, const std::function<bool(std::string_view)>& known,
              PredecessorLink* link) {
  auto with_type = [&](std::string_view head, const std::string& lag) {
    head = Trim(head);
    if (known(head)) {
      *link = {std::string(head), "FS", lag};
      return true;
    }
    const std::string type = LinkTypeSuffix(head);
    if (type.empty()) return false;
    std::string_view ref = Trim(head.substr(0, head.size() - 2));
    if (ref.empty() || !known(ref)) return false;
    *link = {std::string(ref), type, lag};
    return true;
  };
  if (with_type(entry, "")) return true;
  for (size_t p = entry.size(); p-- > 1;) {
    if (entry[p] != '+' && entry[p] != '-') continue;
    bool zero = false;
    if (!IsLag(entry.substr(p + 1), &zero)) continue;
    if (with_type(entry.substr(0, p), zero ? "" : std::string(Trim(entry.substr(p))))) return true;
  }
  return false;
}

}  // namespace

bool ParsePredecessors(std::string_view cell, const std::function<bool(std::string_view)>& known,
                       std::vector<PredecessorLink>* links, std::string* unknown) {
  size_t pos = 0;
  while (pos <= cell.size()) {
    size_t end = cell.find_first_of(",;", pos);
    if (end == std::string_view::npos) end = cell.size();
    std::string_view entry = Trim(cell.substr(pos, end - pos));
    pos = end + 1;
    if (entry.empty()) continue;
    PredecessorLink link;
    if (!ReadLink(entry, known, &link)) {
      *unknown = std::string(entry);
      return false;
    }
    links->push_back(std::move(link));
  }
  return true;
}

}  // namespace tminus
