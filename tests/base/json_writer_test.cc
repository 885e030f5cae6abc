#include "engine/base/json_writer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace tminus {
namespace {

TEST(JsonWriterTest, SortsKeysAndWritesEachType) {
  JsonObjectWriter w;
  w.Add("step", "db-cutover");
  w.Add("attempt", 2);
  w.Add("ok", false);
  w.Add("t", int64_t{-1714600800000});
  w.Add("Z", true);
  EXPECT_EQ(w.Finish(), R"({"Z":true,"attempt":2,"ok":false,"step":"db-cutover","t":-1714600800000})");
  EXPECT_EQ(w.Finish(), "{}");  // Finish empties the writer
}

TEST(JsonWriterTest, EscapesQuotesBackslashesAndControlCharacters) {
  std::string out;
  AppendJsonString(std::string("a\"b\\c\n\t\r\b\f\x01\x1f\x7f", 13), &out);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u001f\x7f\"");
}

TEST(JsonWriterTest, KeepsValidUtf8AndReplacesInvalidSequences) {
  std::string out;
  AppendJsonString("caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x9A\x80", &out);
  EXPECT_EQ(out, "\"caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x9A\x80\"");
  // A tail cut in the middle of a character, a lone continuation byte, an overlong '/',
  // a UTF-16 surrogate, and a byte that never starts a sequence.
  const std::string bad[] = {"ab\xE2\x9C", "\x80x", "\xC0\xAF", "\xED\xA0\x80", "\xFF"};
  for (const std::string& b : bad) {
    std::string o;
    AppendJsonString(b, &o);
    EXPECT_NE(o.find("\xEF\xBF\xBD"), std::string::npos) << o;
    EXPECT_TRUE(nlohmann::json::accept(o)) << o;
  }
}

// Byte for byte what nlohmann::json::dump() writes for the same object, for random valid
// text: the journal's canonical form did not change when the writer replaced it.
TEST(JsonWriterTest, MatchesNlohmannDumpOnRandomValidText) {
  std::mt19937 rng(7);
  const std::string alphabet[] = {"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\x01",
                                  "\x1f", "\x7f", "\xC3\xA9", "\xE2\x9C\x93",
                                  "\xF0\x9F\x9A\x80", "{", "}", ":", ","};
  for (int round = 0; round < 2000; ++round) {
    nlohmann::json expected = nlohmann::json::object();
    JsonObjectWriter w;
    const int fields = static_cast<int>(rng() % 6);
    for (int f = 0; f < fields; ++f) {
      const std::string key = "k" + std::to_string(f * 7 % 5) + std::to_string(f);
      std::string value;
      const int length = static_cast<int>(rng() % 12);
      for (int c = 0; c < length; ++c) value += alphabet[rng() % std::size(alphabet)];
      switch (rng() % 3) {
        case 0:
          expected[key] = value;
          w.Add(key, value);
          break;
        case 1: {
          const int64_t n = static_cast<int64_t>(rng()) - (int64_t{1} << 31);
          expected[key] = n;
          w.Add(key, n);
          break;
        }
        default:
          expected[key] = (rng() & 1) != 0;
          w.Add(key, expected[key].get<bool>());
      }
    }
    ASSERT_EQ(w.Finish(), expected.dump()) << "round " << round;
  }
}

}  // namespace
}  // namespace tminus
