#include "engine/base/suggest.h"

#include <algorithm>

namespace tminus {

int EditDistance(std::string_view a, std::string_view b) {
  // Optimal string alignment distance, three rolling rows.
  const size_t n = b.size();
  std::vector<int> prev2(n + 1), prev(n + 1), cur(n + 1);
  for (size_t j = 0; j <= n; ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= n; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[n];
}

std::string ClosestMatch(std::string_view word, const std::vector<std::string_view>& candidates) {
  // Allow roughly one typo per three characters, at least one, at most three.
  const int limit = std::clamp(static_cast<int>(word.size()) / 3, 1, 3);
  int best = limit + 1;
  std::string_view best_word;
  for (std::string_view candidate : candidates) {
    if (candidate == word) continue;
    const int length_gap = static_cast<int>(candidate.size()) - static_cast<int>(word.size());
    if (std::abs(length_gap) > limit) continue;
    const int d = EditDistance(word, candidate);
    if (d < best) {
      best = d;
      best_word = candidate;
    }
  }
  return std::string(best_word);
}

std::string DidYouMean(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string match = ClosestMatch(word, candidates);
  if (match.empty()) return "";
  return "; did you mean '" + match + "'?";
}

}  // namespace tminus
