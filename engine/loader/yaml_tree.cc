#include "engine/loader/yaml_tree.h"

#include <algorithm>
#include <istream>
#include <streambuf>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

namespace tminus {
namespace {

// Thrown from inside event callbacks to stop yaml-cpp's parser at a limit.
struct LimitExceeded {
  SourceLoc loc;
  std::string message;
};

// Reads the text in place: no copy of what may be tens of megabytes.
class ViewStreamBuf : public std::streambuf {
 public:
  explicit ViewStreamBuf(std::string_view text) {
    char* begin = const_cast<char*>(text.data());
    setg(begin, begin, begin + text.size());
  }
};

SourceLoc LocOf(const YAML::Mark& mark) {
  if (mark.is_null()) return {};
  return {mark.line + 1, mark.column + 1};
}

}  // namespace

const char* YamlKindName(YamlTree::Kind kind) {
  switch (kind) {
    case YamlTree::Kind::kNull:
      return "nothing";
    case YamlTree::Kind::kScalar:
      return "a scalar";
    case YamlTree::Kind::kSequence:
      return "a list";
    case YamlTree::Kind::kMap:
      return "a mapping";
  }
  return "nothing";
}

class YamlTreeBuilder : public YAML::EventHandler {
 public:
  YamlTreeBuilder(YamlTree* tree, const YamlLimits& limits, Diagnostics* diagnostics)
      : tree_(tree), limits_(limits), diagnostics_(diagnostics) {}

  bool has_root() const { return has_root_; }
  SourceLoc document_loc() const { return document_loc_; }

  void OnDocumentStart(const YAML::Mark& mark) override { document_loc_ = LocOf(mark); }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const YamlTree::NodeId id = NewNode(YamlTree::Kind::kNull, mark);
    Complete(id, 1);
    Register(anchor, id);
    Attach(id);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (anchor >= anchors_.size() || anchors_[anchor] == kNone) {
      throw LimitExceeded{LocOf(mark), "alias to an unknown anchor"};
    }
    const YamlTree::NodeId target = anchors_[anchor];
    if (!complete_[target]) {
      throw LimitExceeded{LocOf(mark), "an alias inside the node its anchor names (a recursive alias)"};
    }
    Attach(target);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    if (value.size() > limits_.max_scalar_bytes) {
      throw LimitExceeded{LocOf(mark), "a scalar of " + std::to_string(value.size()) +
                                           " bytes is larger than the limit of " +
                                           std::to_string(limits_.max_scalar_bytes)};
    }
    const bool plain = tag == "?" || tag.empty();
    if (!plain && tag != "!" && tag != "tag:yaml.org,2002:str") {
      diagnostics_->Error(LocOf(mark), "YAML tag '" + tag + "' is not supported here");
    }
    // Plain null spellings are null, as in YAML's core schema.
    if (plain && (value == "~" || value == "null" || value == "Null" || value == "NULL")) {
      OnNull(mark, anchor);
      return;
    }
    const YamlTree::NodeId id = NewNode(YamlTree::Kind::kScalar, mark);
    YamlTree::Node& n = tree_->nodes_[id];
    n.plain = plain;
    n.size = static_cast<uint32_t>(value.size());
    // Most scalars are their own bytes in the text (plain, one line): refer to those and
    // copy only the ones quoting, escapes or folding changed.
    const std::string_view text = tree_->text_;
    if (mark.pos >= 0 && static_cast<size_t>(mark.pos) <= text.size() &&
        text.substr(static_cast<size_t>(mark.pos), value.size()) == value) {
      n.in_text = true;
      n.begin = static_cast<uint32_t>(mark.pos);
    } else {
      n.begin = static_cast<uint32_t>(tree_->pool_.size());
      tree_->pool_.append(value);
    }
    Complete(id, 1);
    Register(anchor, id);
    Attach(id);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(YamlTree::Kind::kSequence, mark, tag, anchor);
  }
  void OnSequenceEnd() override { Close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(YamlTree::Kind::kMap, mark, tag, anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  static constexpr YamlTree::NodeId kNone = ~YamlTree::NodeId{0};

  struct Frame {
    YamlTree::NodeId node;
    size_t first_child;  // index into scratch_
  };

  YamlTree::NodeId NewNode(YamlTree::Kind kind, const YAML::Mark& mark) {
    YamlTree::Node n;
    n.kind = kind;
    const SourceLoc loc = LocOf(mark);
    n.line = loc.line;
    n.column = loc.column;
    tree_->nodes_.push_back(n);
    complete_.push_back(false);
    expanded_.push_back(0);
    return static_cast<YamlTree::NodeId>(tree_->nodes_.size() - 1);
  }

  void Complete(YamlTree::NodeId id, uint64_t expanded) {
    complete_[id] = true;
    expanded_[id] = expanded;
    if (expanded > limits_.max_expanded_nodes) {
      throw LimitExceeded{tree_->loc(id),
                          "aliases expand this document past " +
                              std::to_string(limits_.max_expanded_nodes) +
                              " nodes (an alias bomb?)"};
    }
  }

  void Register(YAML::anchor_t anchor, YamlTree::NodeId id) {
    if (anchor == YAML::NullAnchor) return;
    if (anchor >= anchors_.size()) anchors_.resize(anchor + 1, kNone);
    anchors_[anchor] = id;
  }

  void Attach(YamlTree::NodeId id) {
    if (frames_.empty()) {
      tree_->root_ = id;
      has_root_ = true;
      return;
    }
    scratch_.push_back(id);
  }

  void Open(YamlTree::Kind kind, const YAML::Mark& mark, const std::string& tag,
            YAML::anchor_t anchor) {
    if (static_cast<int>(frames_.size()) >= limits_.max_depth) {
      throw LimitExceeded{LocOf(mark), "nesting is deeper than " +
                                           std::to_string(limits_.max_depth) + " levels"};
    }
    if (tag != "?" && !tag.empty() && tag != "!" && tag != "tag:yaml.org,2002:map" &&
        tag != "tag:yaml.org,2002:seq") {
      diagnostics_->Error(LocOf(mark), "YAML tag '" + tag + "' is not supported here");
    }
    const YamlTree::NodeId id = NewNode(kind, mark);
    Register(anchor, id);
    frames_.push_back({id, scratch_.size()});
  }

  void Close() {
    const Frame frame = frames_.back();
    frames_.pop_back();
    YamlTree::Node& n = tree_->nodes_[frame.node];
    std::vector<YamlTree::NodeId> children(scratch_.begin() + frame.first_child, scratch_.end());
    scratch_.resize(frame.first_child);
    if (n.kind == YamlTree::Kind::kMap) children = ResolveMap(frame.node, std::move(children));
    uint64_t expanded = 1;
    for (YamlTree::NodeId c : children) {
      expanded = std::min(expanded + expanded_[c], limits_.max_expanded_nodes + 1);
    }
    YamlTree::Node& node = tree_->nodes_[frame.node];
    node.begin = static_cast<uint32_t>(tree_->kids_.size());
    node.size = static_cast<uint32_t>(node.kind == YamlTree::Kind::kMap ? children.size() / 2
                                                                        : children.size());
    tree_->kids_.insert(tree_->kids_.end(), children.begin(), children.end());
    Complete(frame.node, expanded);
    Attach(frame.node);
  }

  bool IsMergeKey(YamlTree::NodeId key) const {
    const YamlTree::Node& k = tree_->nodes_[key];
    return k.kind == YamlTree::Kind::kScalar && k.plain && tree_->scalar(key) == "<<";
  }

  // Checks keys (plain strings, no duplicates) and folds merge keys in: explicit keys win,
  // then the merged mappings in the order they are listed.
  std::vector<YamlTree::NodeId> ResolveMap(YamlTree::NodeId map,
                                           std::vector<YamlTree::NodeId> pairs) {
    std::vector<YamlTree::NodeId> out;
    out.reserve(pairs.size());
    std::vector<YamlTree::NodeId> merges;
    for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
      const YamlTree::NodeId key = pairs[i];
      const YamlTree::Node& k = tree_->nodes_[key];
      if (k.kind != YamlTree::Kind::kScalar) {
        diagnostics_->Error(tree_->loc(key), std::string("a mapping key must be a string, not ") +
                                                 YamlKindName(k.kind));
        continue;
      }
      if (IsMergeKey(key)) {
        merges.push_back(pairs[i + 1]);
        continue;
      }
      out.push_back(key);
      out.push_back(pairs[i + 1]);
    }
    RemoveDuplicateKeys(&out);
    for (YamlTree::NodeId source : merges) {
      const YamlTree::Node& s = tree_->nodes_[source];
      if (s.kind == YamlTree::Kind::kMap) {
        MergeFrom(source, &out);
      } else if (s.kind == YamlTree::Kind::kSequence) {
        for (uint32_t j = 0; j < s.size; ++j) {
          const YamlTree::NodeId item = tree_->item(source, j);
          if (tree_->kind(item) == YamlTree::Kind::kMap) {
            MergeFrom(item, &out);
          } else {
            diagnostics_->Error(tree_->loc(item), "a merge key (<<) takes mappings only");
          }
        }
      } else {
        diagnostics_->Error(tree_->loc(source),
                            "a merge key (<<) takes a mapping or a list of mappings");
      }
    }
    (void)map;
    return out;
  }

  void MergeFrom(YamlTree::NodeId source, std::vector<YamlTree::NodeId>* out) {
    for (uint32_t j = 0; j < tree_->size(source); ++j) {
      const YamlTree::NodeId key = tree_->key(source, j);
      const std::string_view name = tree_->scalar(key);
      bool present = false;
      for (size_t i = 0; i < out->size() && !present; i += 2) {
        present = tree_->scalar((*out)[i]) == name;
      }
      if (present) continue;
      out->push_back(key);
      out->push_back(tree_->value(source, j));
    }
  }

  void RemoveDuplicateKeys(std::vector<YamlTree::NodeId>* pairs) {
    const size_t n = pairs->size() / 2;
    if (n < 2) return;
    std::vector<uint32_t> order(n);
    for (uint32_t i = 0; i < n; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return tree_->scalar((*pairs)[2 * a]) < tree_->scalar((*pairs)[2 * b]);
    });
    std::vector<bool> drop(n, false);
    bool any = false;
    for (size_t i = 1; i < n; ++i) {
      const YamlTree::NodeId first = (*pairs)[2 * order[i - 1]];
      const YamlTree::NodeId again = (*pairs)[2 * order[i]];
      if (tree_->scalar(first) != tree_->scalar(again)) continue;
      // Report against the earliest occurrence of this key.
      size_t j = i - 1;
      while (j > 0 && tree_->scalar((*pairs)[2 * order[j - 1]]) == tree_->scalar(again)) --j;
      const YamlTree::NodeId original = (*pairs)[2 * order[j]];
      diagnostics_->Error(tree_->loc(again),
                          "duplicate key '" + std::string(tree_->scalar(again)) +
                              "' (first written at line " +
                              std::to_string(tree_->node(original).line) + ")");
      drop[order[i]] = true;
      any = true;
    }
    if (!any) return;
    std::vector<YamlTree::NodeId> kept;
    kept.reserve(pairs->size());
    for (size_t i = 0; i < n; ++i) {
      if (drop[i]) continue;
      kept.push_back((*pairs)[2 * i]);
      kept.push_back((*pairs)[2 * i + 1]);
    }
    *pairs = std::move(kept);
  }

  YamlTree* tree_;
  const YamlLimits& limits_;
  Diagnostics* diagnostics_;
  std::vector<Frame> frames_;
  std::vector<YamlTree::NodeId> scratch_;
  std::vector<YamlTree::NodeId> anchors_;
  std::vector<bool> complete_;
  std::vector<uint64_t> expanded_;
  bool has_root_ = false;
  SourceLoc document_loc_;
};

bool YamlTree::Parse(std::string_view text, const YamlLimits& limits, Diagnostics* diagnostics) {
  nodes_.clear();
  kids_.clear();
  pool_.clear();
  text_ = text;
  if (text.size() > limits.max_document_bytes) {
    diagnostics->Error({1, 1}, "the file is " + std::to_string(text.size()) +
                                   " bytes, larger than the limit of " +
                                   std::to_string(limits.max_document_bytes));
    return false;
  }
  // Runbooks run to about one node per 13 bytes; few scalars need the pool.
  pool_.reserve(text.size() / 16);
  nodes_.reserve(text.size() / 12 + 16);
  kids_.reserve(text.size() / 12 + 16);
  ViewStreamBuf buffer(text);
  std::istream stream(&buffer);
  YAML::Parser parser(stream);
  YamlTreeBuilder builder(this, limits, diagnostics);
  try {
    parser.HandleNextDocument(builder);
    if (!builder.has_root()) {
      const YAML::Mark none = YAML::Mark::null_mark();
      builder.OnNull(none, YAML::NullAnchor);
      nodes_[root_].line = 1;
      nodes_[root_].column = 1;
      return true;
    }
    YamlTree scratch;
    YamlTreeBuilder probe(&scratch, limits, diagnostics);
    if (parser.HandleNextDocument(probe)) {
      diagnostics->Error(probe.document_loc(),
                         "a runbook is one YAML document, but a second one starts here");
      return false;
    }
  } catch (const LimitExceeded& e) {
    diagnostics->Error(e.loc.known() ? e.loc : SourceLoc{1, 1}, e.message);
    return false;
  } catch (const YAML::Exception& e) {
    SourceLoc loc = LocOf(e.mark);
    if (!loc.known()) loc = {1, 1};
    diagnostics->Error(loc, "YAML syntax: " + e.msg);
    return false;
  }
  return true;
}

}  // namespace tminus
