// The dependency graph of a runbook's steps, by index into Runbook::steps.
#pragma once

#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/model/runbook.h"

namespace tminus {

class StepGraph {
 public:
  // Builds the graph; needs that name no step (or a duplicate id's later copy) are left
  // out, so the graph is usable even for an invalid runbook.
  static StepGraph Build(const Runbook& runbook);

  int size() const { return static_cast<int>(needs_.size()); }
  // Index of the first step with this id, or -1.
  int Find(std::string_view id) const;
  const std::vector<int>& needs(int step) const { return needs_[step]; }
  const std::vector<int>& dependants(int step) const { return dependants_[step]; }

  // Steps in an order where every step comes after all it needs; empty when there is a
  // cycle (see Cycles()).
  const std::vector<int>& topological_order() const { return topo_; }
  bool acyclic() const { return static_cast<int>(topo_.size()) == size(); }
  // Every elementary cycle found by one depth-first pass (each as a list of step
  // indices, a -> b -> ... with the last needing the first... in dependency order).
  std::vector<std::vector<int>> Cycles() const;

  // True when `step` needs `ancestor`, directly or through others.
  bool TransitivelyNeeds(int step, int ancestor) const;
  // All steps that `step` needs directly or transitively, as a mark per step.
  std::vector<bool> Ancestors(int step) const;

 private:
  std::unordered_map<std::string_view, int> index_;
  std::vector<std::vector<int>> needs_;
  std::vector<std::vector<int>> dependants_;
  std::vector<int> topo_;
};

}  // namespace tminus
