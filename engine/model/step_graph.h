// The dependency graph of a runbook's steps, by index into Runbook::steps.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model/runbook.h"

namespace tminus {

// A read-only run of step indices (a step's needs or dependants), stored contiguously.
class StepSpan {
 public:
  StepSpan(const int* begin, const int* end) : begin_(begin), end_(end) {}
  const int* begin() const { return begin_; }
  const int* end() const { return end_; }
  size_t size() const { return static_cast<size_t>(end_ - begin_); }
  bool empty() const { return begin_ == end_; }
  int operator[](size_t i) const { return begin_[i]; }

 private:
  const int* begin_;
  const int* end_;
};

// Laid out for large runbooks: ids in one buffer with an open-addressing table, edges in
// flat arrays, so a lookup or a walk touches a few compact arrays rather than one heap
// block per step.
class StepGraph {
 public:
  // Builds the graph; needs that name no step (or a duplicate id's later copy) are left
  // out, so the graph is usable even for an invalid runbook.
  static StepGraph Build(const Runbook& runbook);

  int size() const { return static_cast<int>(needs_start_.size()) - 1; }
  // Index of the first step with this id, or -1.
  int Find(std::string_view id) const;
  StepSpan needs(int step) const {
    return {needs_.data() + needs_start_[step], needs_.data() + needs_start_[step + 1]};
  }
  StepSpan dependants(int step) const {
    return {dependants_.data() + dependants_start_[step],
            dependants_.data() + dependants_start_[step + 1]};
  }

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
  std::string_view IdOf(int step) const {
    return std::string_view(ids_).substr(id_start_[step], id_start_[step + 1] - id_start_[step]);
  }

  // Ids, back to back; step i's is [id_start_[i], id_start_[i + 1]).
  std::string ids_;
  std::vector<uint32_t> id_start_{0};
  std::vector<uint32_t> id_hash_;
  // Open addressing, linear probing: step index + 1, 0 for an empty slot.
  std::vector<uint32_t> slots_;
  // Step i's needs are needs_[needs_start_[i] .. needs_start_[i + 1]); dependants alike.
  std::vector<int> needs_;
  std::vector<uint32_t> needs_start_{0};
  std::vector<int> dependants_;
  std::vector<uint32_t> dependants_start_{0};
  std::vector<int> topo_;
};

}  // namespace tminus
