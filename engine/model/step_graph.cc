#include "engine/model/step_graph.h"

#include <algorithm>

namespace tminus {

StepGraph StepGraph::Build(const Runbook& runbook) {
  StepGraph g;
  const int n = static_cast<int>(runbook.steps.size());
  g.index_.reserve(n);
  g.needs_.resize(n);
  g.dependants_.resize(n);
  for (int i = 0; i < n; ++i) g.index_.emplace(runbook.steps[i].id.value, i);
  for (int i = 0; i < n; ++i) {
    auto& out = g.needs_[i];
    for (const SourcedString& need : runbook.steps[i].needs) {
      auto it = g.index_.find(need.value);
      if (it == g.index_.end()) continue;
      if (std::find(out.begin(), out.end(), it->second) != out.end()) continue;
      out.push_back(it->second);
      g.dependants_[it->second].push_back(i);
    }
  }
  // Kahn's algorithm, taking ready steps in file order so the result is stable.
  std::vector<int> pending(n);
  std::vector<int> queue;
  queue.reserve(n);
  for (int i = 0; i < n; ++i) {
    pending[i] = static_cast<int>(g.needs_[i].size());
    if (pending[i] == 0) queue.push_back(i);
  }
  for (size_t head = 0; head < queue.size(); ++head) {
    for (int d : g.dependants_[queue[head]]) {
      if (--pending[d] == 0) queue.push_back(d);
    }
  }
  if (static_cast<int>(queue.size()) == n) g.topo_ = std::move(queue);
  return g;
}

int StepGraph::Find(std::string_view id) const {
  auto it = index_.find(id);
  return it == index_.end() ? -1 : it->second;
}

std::vector<std::vector<int>> StepGraph::Cycles() const {
  // Iterative DFS over "needs" edges; a back edge to a node on the stack closes a cycle.
  // Each node is finished once, so every step belongs to at most one reported cycle.
  const int n = size();
  enum : char { kWhite, kGrey, kBlack };
  std::vector<char> color(n, kWhite);
  std::vector<std::vector<int>> cycles;
  std::vector<std::pair<int, size_t>> stack;
  for (int root = 0; root < n; ++root) {
    if (color[root] != kWhite) continue;
    stack.push_back({root, 0});
    color[root] = kGrey;
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < needs_[node].size()) {
        const int child = needs_[node][next++];
        if (color[child] == kWhite) {
          color[child] = kGrey;
          stack.push_back({child, 0});
        } else if (color[child] == kGrey) {
          std::vector<int> cycle;
          size_t k = stack.size();
          while (k > 0 && stack[k - 1].first != child) --k;
          for (size_t j = k - 1; j < stack.size(); ++j) cycle.push_back(stack[j].first);
          cycles.push_back(std::move(cycle));
        }
      } else {
        color[node] = kBlack;
        stack.pop_back();
      }
    }
  }
  return cycles;
}

std::vector<bool> StepGraph::Ancestors(int step) const {
  std::vector<bool> seen(needs_.size(), false);
  std::vector<int> work(needs_[step].begin(), needs_[step].end());
  while (!work.empty()) {
    const int s = work.back();
    work.pop_back();
    if (seen[s]) continue;
    seen[s] = true;
    for (int p : needs_[s]) {
      if (!seen[p]) work.push_back(p);
    }
  }
  return seen;
}

bool StepGraph::TransitivelyNeeds(int step, int ancestor) const {
  return Ancestors(step)[ancestor];
}

}  // namespace tminus
