#include "engine/loader/node_reader.h"

#include <vector>

#include "engine/base/suggest.h"

namespace tminus {
namespace {

bool IsYaml11Bool(std::string_view s) {
  static const std::string_view kWords[] = {"yes", "Yes", "YES", "no", "No", "NO", "on", "On",
                                            "ON",  "off", "Off", "OFF", "y",  "Y",  "n",  "N"};
  for (std::string_view w : kWords) {
    if (s == w) return true;
  }
  return false;
}

std::string Quote(std::string_view s) {
  if (s.size() > 60) return "'" + std::string(s.substr(0, 57)) + "...'";
  return "'" + std::string(s) + "'";
}

}  // namespace

bool NodeReader::ForEachKnownKey(NodeId map, const std::string& what,
                                 std::initializer_list<std::string_view> known,
                                 const KeyHandler& handler) {
  if (tree_.kind(map) != YamlTree::Kind::kMap) {
    Error(map, what + " must be a mapping, not " + YamlKindName(tree_.kind(map)));
    return false;
  }
  const uint32_t n = tree_.size(map);
  for (uint32_t i = 0; i < n; ++i) {
    const NodeId key = tree_.key(map, i);
    const std::string_view name = tree_.scalar(key);
    bool is_known = false;
    for (std::string_view k : known) {
      if (k == name) {
        is_known = true;
        break;
      }
    }
    if (is_known) {
      handler(name, key, tree_.value(map, i));
    } else if (name.substr(0, 2) != "x-") {
      std::vector<std::string_view> candidates(known.begin(), known.end());
      Error(key, "unknown key " + Quote(name) + " in " + what + DidYouMean(name, candidates));
    }
  }
  return true;
}

bool NodeReader::ForEachEntry(NodeId map, const std::string& what, const KeyHandler& handler) {
  if (tree_.kind(map) != YamlTree::Kind::kMap) {
    Error(map, what + " must be a mapping, not " + YamlKindName(tree_.kind(map)));
    return false;
  }
  const uint32_t n = tree_.size(map);
  for (uint32_t i = 0; i < n; ++i) {
    const NodeId key = tree_.key(map, i);
    handler(tree_.scalar(key), key, tree_.value(map, i));
  }
  return true;
}

bool NodeReader::ForEachItem(NodeId seq, const std::string& what,
                             const std::function<void(NodeId item)>& handler) {
  if (tree_.kind(seq) != YamlTree::Kind::kSequence) {
    Error(seq, what + " must be a list, not " + YamlKindName(tree_.kind(seq)));
    return false;
  }
  const uint32_t n = tree_.size(seq);
  for (uint32_t i = 0; i < n; ++i) handler(tree_.item(seq, i));
  return true;
}

NodeReader::NodeId NodeReader::Find(NodeId map, std::string_view key) const {
  if (tree_.kind(map) != YamlTree::Kind::kMap) return kNoNode;
  const uint32_t n = tree_.size(map);
  for (uint32_t i = 0; i < n; ++i) {
    if (tree_.scalar(tree_.key(map, i)) == key) return tree_.value(map, i);
  }
  return kNoNode;
}

bool NodeReader::ExpectScalar(NodeId id, const std::string& what, const char* expected) {
  const YamlTree::Kind kind = tree_.kind(id);
  if (kind == YamlTree::Kind::kScalar) return true;
  if (kind == YamlTree::Kind::kNull) {
    Error(id, what + " has no value; expected " + expected);
  } else {
    Error(id, what + " must be " + expected + ", not " + YamlKindName(kind));
  }
  return false;
}

bool NodeReader::ReadString(NodeId id, const std::string& what, SourcedString* out) {
  if (!ExpectScalar(id, what, "a string")) return false;
  out->value = std::string(tree_.scalar(id));
  out->loc = loc(id);
  return true;
}

bool NodeReader::ReadBool(NodeId id, const std::string& what, Sourced<bool>* out) {
  if (!ExpectScalar(id, what, "true or false")) return false;
  const std::string_view s = tree_.scalar(id);
  const bool plain = tree_.node(id).plain;
  if (plain && (s == "true" || s == "True" || s == "TRUE")) {
    out->value = true;
  } else if (plain && (s == "false" || s == "False" || s == "FALSE")) {
    out->value = false;
  } else if (plain && IsYaml11Bool(s)) {
    Error(id, what + " is " + Quote(s) +
                  ", which is not a boolean here: write true or false (YAML 1.1 spellings like "
                  "yes/no/on/off are not accepted)");
    return false;
  } else {
    Error(id, what + " must be true or false, not " + Quote(s));
    return false;
  }
  out->loc = loc(id);
  return true;
}

bool NodeReader::ReadInt(NodeId id, const std::string& what, int min, int max, Sourced<int>* out) {
  if (!ExpectScalar(id, what, "a whole number")) return false;
  const std::string_view s = tree_.scalar(id);
  bool ok = tree_.node(id).plain && !s.empty() && s.size() <= 10;
  long long v = 0;
  size_t i = 0;
  bool negative = false;
  if (ok && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    i = 1;
    ok = s.size() > 1;
  }
  for (; ok && i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') {
      ok = false;
    } else {
      v = v * 10 + (s[i] - '0');
    }
  }
  if (!ok) {
    Error(id, what + " must be a whole number, not " + Quote(s));
    return false;
  }
  if (negative) v = -v;
  if (v < min || v > max) {
    Error(id, what + " must be from " + std::to_string(min) + " to " + std::to_string(max) +
                  ", not " + std::string(s));
    return false;
  }
  out->value = static_cast<int>(v);
  out->loc = loc(id);
  return true;
}

bool NodeReader::ReadDuration(NodeId id, const std::string& what, Sourced<Seconds>* out) {
  if (!ExpectScalar(id, what, "a duration like 90s, 15m or 1h30m")) return false;
  std::string why;
  std::optional<Seconds> d = ParseDuration(tree_.scalar(id), &why);
  if (!d) {
    Error(id, what + " " + Quote(tree_.scalar(id)) + " is not a duration: " + why);
    return false;
  }
  out->value = *d;
  out->loc = loc(id);
  return true;
}

bool NodeReader::ReadInstant(NodeId id, const std::string& what, Sourced<Instant>* out) {
  if (!ExpectScalar(id, what, "a T-time (T-02:00, T+90m) or an ISO 8601 time")) return false;
  std::string why;
  std::optional<Instant> instant = ParseInstant(tree_.scalar(id), &why);
  if (!instant) {
    Error(id, what + " " + Quote(tree_.scalar(id)) + " is not a time: " + why);
    return false;
  }
  out->value = *instant;
  out->loc = loc(id);
  return true;
}

bool NodeReader::ReadStringList(NodeId id, const std::string& what, StringList* out) {
  if (tree_.kind(id) == YamlTree::Kind::kScalar) {
    Error(id, what + " must be a list; write [" + std::string(tree_.scalar(id)) + "]");
    return false;
  }
  if (tree_.kind(id) == YamlTree::Kind::kNull) {
    Error(id, what + " has no value; expected a list (write [] for none)");
    return false;
  }
  const size_t before = out->size();
  if (tree_.kind(id) == YamlTree::Kind::kSequence) out->reserve(before + tree_.size(id));
  const bool ok = ForEachItem(id, what, [&](NodeId item) {
    SourcedString s;
    if (ReadString(item, "an item of " + what, &s)) out->push_back(std::move(s));
  });
  return ok && out->size() - before == tree_.size(id);
}

bool NodeReader::ReadQuorum(NodeId id, const std::string& what, Sourced<Quorum>* out) {
  if (!ExpectScalar(id, what, "1, all, or a number of people")) return false;
  const std::string_view s = tree_.scalar(id);
  if (s == "all") {
    out->value.all = true;
    out->loc = loc(id);
    return true;
  }
  Sourced<int> count;
  Diagnostics scratch;
  NodeReader quiet(tree_, &scratch);
  if (!quiet.ReadInt(id, what, 1, 1000, &count)) {
    Error(id, what + " must be 1, all, or a number of people, not " + Quote(s));
    return false;
  }
  out->value.all = false;
  out->value.count = count.value;
  out->loc = loc(id);
  return true;
}

bool NodeReader::ReadEnum(NodeId id, const std::string& what,
                          std::initializer_list<std::string_view> choices, int* out) {
  std::string list;
  for (std::string_view c : choices) list += (list.empty() ? "" : ", ") + std::string(c);
  if (!ExpectScalar(id, what, ("one of " + list).c_str())) return false;
  const std::string_view s = tree_.scalar(id);
  int i = 0;
  for (std::string_view c : choices) {
    if (c == s) {
      *out = i;
      return true;
    }
    ++i;
  }
  std::vector<std::string_view> candidates(choices.begin(), choices.end());
  Error(id, what + " must be one of " + list + ", not " + Quote(s) + DidYouMean(s, candidates));
  return false;
}

}  // namespace tminus
