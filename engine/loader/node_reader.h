// Typed reads from a YamlTree into the model's Sourced<T> values, each problem reported
// as a diagnostic at the offending key or value.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

#include "engine/base/diagnostic.h"
#include "engine/loader/yaml_tree.h"
#include "engine/model/runbook.h"

namespace tminus {

class NodeReader {
 public:
  using NodeId = YamlTree::NodeId;
  using KeyHandler = std::function<void(std::string_view key, NodeId key_node, NodeId value)>;

  NodeReader(const YamlTree& tree, Diagnostics* diagnostics)
      : tree_(tree), diagnostics_(diagnostics) {}

  const YamlTree& tree() const { return tree_; }
  Diagnostics& diagnostics() { return *diagnostics_; }
  SourceLoc loc(NodeId id) const { return tree_.loc(id); }
  bool IsNull(NodeId id) const { return tree_.kind(id) == YamlTree::Kind::kNull; }

  // Calls `handler` for each key of mapping `map` that is in `known`; reports any other key
  // (except x- prefixed ones) as unknown, with a suggestion. `what` names the mapping in
  // messages ("step 'db-freeze'"). False when `map` is not a mapping.
  bool ForEachKnownKey(NodeId map, const std::string& what,
                       std::initializer_list<std::string_view> known, const KeyHandler& handler);
  // Calls `handler` for every key of a mapping whose keys are user-chosen names.
  bool ForEachEntry(NodeId map, const std::string& what, const KeyHandler& handler);
  // Calls `handler` for each item of a list. False when `seq` is not a list.
  bool ForEachItem(NodeId seq, const std::string& what,
                   const std::function<void(NodeId item)>& handler);
  // The value of `key` in `map`, or nullptr-like kNoNode.
  static constexpr NodeId kNoNode = ~NodeId{0};
  NodeId Find(NodeId map, std::string_view key) const;

  // Each returns false (after reporting) when the value has the wrong type or shape.
  bool ReadString(NodeId id, const std::string& what, SourcedString* out);
  bool ReadBool(NodeId id, const std::string& what, Sourced<bool>* out);
  bool ReadInt(NodeId id, const std::string& what, int min, int max, Sourced<int>* out);
  bool ReadDuration(NodeId id, const std::string& what, Sourced<Seconds>* out);
  bool ReadInstant(NodeId id, const std::string& what, Sourced<Instant>* out);
  bool ReadStringList(NodeId id, const std::string& what, StringList* out);
  bool ReadQuorum(NodeId id, const std::string& what, Sourced<Quorum>* out);
  // One of `choices`; the index chosen goes to *out.
  bool ReadEnum(NodeId id, const std::string& what, std::initializer_list<std::string_view> choices,
                int* out);

  void Error(NodeId id, std::string message) { diagnostics_->Error(loc(id), std::move(message)); }
  void Warning(NodeId id, std::string message) {
    diagnostics_->Warning(loc(id), std::move(message));
  }

 private:
  bool ExpectScalar(NodeId id, const std::string& what, const char* expected);

  const YamlTree& tree_;
  Diagnostics* diagnostics_;
};

}  // namespace tminus
