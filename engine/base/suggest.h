// "Did you mean" suggestions for misspelled keys, ids and names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tminus {

// Edit distance (insertions, deletions, substitutions, adjacent transpositions).
int EditDistance(std::string_view a, std::string_view b);

// The closest candidate to `word`, or "" when none is close enough to be a likely typo.
std::string ClosestMatch(std::string_view word, const std::vector<std::string_view>& candidates);

// "; did you mean 'x'?" or "" when there is no close candidate.
std::string DidYouMean(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace tminus
