#include "engine/base/suggest.h"

#include <gtest/gtest.h>

namespace tminus {
namespace {

TEST(SuggestTest, EditDistanceCountsTranspositionAsOne) {
  EXPECT_EQ(EditDistance("needs", "needs"), 0);
  EXPECT_EQ(EditDistance("neds", "needs"), 1);
  EXPECT_EQ(EditDistance("nedes", "needs"), 1);
  EXPECT_EQ(EditDistance("", "abc"), 3);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3);
}

TEST(SuggestTest, SuggestsTheClosestCandidate) {
  EXPECT_EQ(ClosestMatch("db-frez", {"db-freeze", "app-stop", "db-backup"}), "db-freeze");
  EXPECT_EQ(DidYouMean("timout", {"timeout", "title"}), "; did you mean 'timeout'?");
}

TEST(SuggestTest, NoSuggestionWhenNothingIsClose) {
  EXPECT_EQ(ClosestMatch("zzz", {"needs", "owner"}), "");
  EXPECT_EQ(DidYouMean("completely-different", {"needs"}), "");
}

}  // namespace
}  // namespace tminus
