#include "engine/model/step_graph.h"

#include <algorithm>
#include <functional>

namespace tminus {

namespace {

uint32_t HashId(std::string_view id) {
  const size_t h = std::hash<std::string_view>{}(id);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

}  // namespace

StepGraph StepGraph::Build(const Runbook& runbook) {
  StepGraph g;
  const int n = static_cast<int>(runbook.steps.size());
  size_t id_bytes = 0;
  for (const Step& s : runbook.steps) id_bytes += s.id.value.size();
  g.ids_.reserve(id_bytes);
  g.id_start_.reserve(n + 1);
  g.id_hash_.reserve(n);
  size_t capacity = 16;
  while (capacity < 2 * static_cast<size_t>(n)) capacity *= 2;
  g.slots_.assign(capacity, 0);
  const size_t mask = capacity - 1;
  for (int i = 0; i < n; ++i) {
    const std::string& id = runbook.steps[i].id.value;
    g.ids_ += id;
    g.id_start_.push_back(static_cast<uint32_t>(g.ids_.size()));
    const uint32_t hash = HashId(id);
    g.id_hash_.push_back(hash);
    // A later duplicate is not indexed: Find returns the first step with an id.
    for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
      const uint32_t taken = g.slots_[slot];
      if (taken == 0) {
        g.slots_[slot] = static_cast<uint32_t>(i) + 1;
        break;
      }
      if (g.id_hash_[taken - 1] == hash && g.IdOf(static_cast<int>(taken) - 1) == id) break;
    }
  }

  // Needs, deduplicated, in the order written; then dependants by counting, in step order.
  g.needs_start_.reserve(n + 1);
  std::vector<uint32_t> dependant_count(n, 0);
  for (int i = 0; i < n; ++i) {
    const size_t first = g.needs_.size();
    for (const SourcedString& need : runbook.steps[i].needs) {
      const int p = g.Find(need.value);
      if (p < 0) continue;
      if (std::find(g.needs_.begin() + first, g.needs_.end(), p) != g.needs_.end()) continue;
      g.needs_.push_back(p);
      ++dependant_count[p];
    }
    g.needs_start_.push_back(static_cast<uint32_t>(g.needs_.size()));
  }
  g.dependants_start_.resize(n + 1);
  for (int i = 0; i < n; ++i) g.dependants_start_[i + 1] = g.dependants_start_[i] + dependant_count[i];
  g.dependants_.resize(g.needs_.size());
  std::vector<uint32_t> fill(g.dependants_start_.begin(), g.dependants_start_.end() - 1);
  for (int i = 0; i < n; ++i) {
    for (int p : g.needs(i)) g.dependants_[fill[p]++] = i;
  }

  // Kahn's algorithm, taking ready steps in file order so the result is stable.
  std::vector<int> pending(n);
  std::vector<int> queue;
  queue.reserve(n);
  for (int i = 0; i < n; ++i) {
    pending[i] = static_cast<int>(g.needs(i).size());
    if (pending[i] == 0) queue.push_back(i);
  }
  for (size_t head = 0; head < queue.size(); ++head) {
    for (int d : g.dependants(queue[head])) {
      if (--pending[d] == 0) queue.push_back(d);
    }
  }
  if (static_cast<int>(queue.size()) == n) g.topo_ = std::move(queue);
  return g;
}

int StepGraph::Find(std::string_view id) const {
  if (slots_.empty()) return -1;
  const uint32_t hash = HashId(id);
  const size_t mask = slots_.size() - 1;
  for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
    const uint32_t taken = slots_[slot];
    if (taken == 0) return -1;
    const int step = static_cast<int>(taken) - 1;
    if (id_hash_[step] == hash && IdOf(step) == id) return step;
  }
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
      if (next < needs(node).size()) {
        const int child = needs(node)[next++];
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
  std::vector<bool> seen(size(), false);
  const StepSpan direct = needs(step);
  std::vector<int> work(direct.begin(), direct.end());
  while (!work.empty()) {
    const int s = work.back();
    work.pop_back();
    if (seen[s]) continue;
    seen[s] = true;
    for (int p : needs(s)) {
      if (!seen[p]) work.push_back(p);
    }
  }
  return seen;
}

bool StepGraph::TransitivelyNeeds(int step, int ancestor) const {
  return Ancestors(step)[ancestor];
}

}  // namespace tminus
