// A compact YAML document tree with a line and column for every node, built from
// yaml-cpp's parser events. It is the only place that sees yaml-cpp, and it is where
// hostile input is bounded: document and scalar size, nesting depth, alias expansion,
// duplicate keys, multiple documents. Merge keys (<<) are resolved here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/diagnostic.h"
#include "engine/base/source_loc.h"

namespace tminus {

struct YamlLimits {
  size_t max_document_bytes = size_t{64} << 20;
  size_t max_scalar_bytes = size_t{1} << 20;
  int max_depth = 64;
  // Nodes the tree would have if every alias were copied out.
  uint64_t max_expanded_nodes = 20'000'000;
};

class YamlTree {
 public:
  enum class Kind : uint8_t { kNull, kScalar, kSequence, kMap };
  using NodeId = uint32_t;

  struct Node {
    Kind kind = Kind::kNull;
    bool plain = true;  // scalar written without quotes or block style (so `yes` is not a string)
    bool in_text = false;  // scalar: `begin` is an offset into the parsed text, not the pool
    int32_t line = 0;   // 1-based
    int32_t column = 0;
    uint32_t begin = 0;  // scalar: offset into the text pool; collections: into the child list
    uint32_t size = 0;   // scalar: bytes; sequence: items; map: pairs (two children each)
  };

  // Parses `text`. On a fatal problem (syntax error, limit) returns false and adds an
  // error; non-fatal problems (duplicate keys) are added as errors and parsing goes on.
  // Scalars written verbatim are not copied: the tree refers to `text`, which must outlive it.
  bool Parse(std::string_view text, const YamlLimits& limits, Diagnostics* diagnostics);

  NodeId root() const { return root_; }
  const Node& node(NodeId id) const { return nodes_[id]; }
  Kind kind(NodeId id) const { return nodes_[id].kind; }
  SourceLoc loc(NodeId id) const { return {nodes_[id].line, nodes_[id].column}; }
  std::string_view scalar(NodeId id) const {
    const Node& n = nodes_[id];
    return (n.in_text ? text_ : std::string_view(pool_)).substr(n.begin, n.size);
  }
  // Sequence item i, map key i, map value i.
  NodeId item(NodeId seq, uint32_t i) const { return kids_[nodes_[seq].begin + i]; }
  NodeId key(NodeId map, uint32_t i) const { return kids_[nodes_[map].begin + 2 * i]; }
  NodeId value(NodeId map, uint32_t i) const { return kids_[nodes_[map].begin + 2 * i + 1]; }
  uint32_t size(NodeId id) const { return nodes_[id].size; }

  size_t node_count() const { return nodes_.size(); }

 private:
  friend class YamlTreeBuilder;

  std::vector<Node> nodes_;
  std::vector<NodeId> kids_;
  std::string pool_;           // scalars whose value differs from their bytes in the text
  std::string_view text_;      // the parsed text
  NodeId root_ = 0;
};

const char* YamlKindName(YamlTree::Kind kind);

}  // namespace tminus
