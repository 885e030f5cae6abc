#include "engine/model/time_spec.h"

#include <gtest/gtest.h>

namespace tminus {
namespace {

Seconds Dur(const char* text) {
  std::string why;
  auto d = ParseDuration(text, &why);
  EXPECT_TRUE(d.has_value()) << text << ": " << why;
  return d.value_or(Seconds(-1));
}

bool DurFails(const char* text) {
  std::string why;
  return !ParseDuration(text, &why).has_value() && !why.empty();
}

TEST(TimeSpecTest, ParsesDurationsOfTheFormat) {
  EXPECT_EQ(Dur("90s").count(), 90);
  EXPECT_EQ(Dur("15m").count(), 900);
  EXPECT_EQ(Dur("1h30m").count(), 5400);
  EXPECT_EQ(Dur("2h").count(), 7200);
  EXPECT_EQ(Dur("1d").count(), 86400);
  EXPECT_EQ(Dur("1d2h3m4s").count(), 86400 + 7200 + 180 + 4);
  EXPECT_EQ(Dur("0s").count(), 0);
}

TEST(TimeSpecTest, RejectsMalformedDurations) {
  EXPECT_TRUE(DurFails(""));
  EXPECT_TRUE(DurFails("90"));
  EXPECT_TRUE(DurFails("15 minutes"));
  EXPECT_TRUE(DurFails("30m1h"));  // wrong order
  EXPECT_TRUE(DurFails("1h1h"));   // repeated unit
  EXPECT_TRUE(DurFails("1w"));
  EXPECT_TRUE(DurFails("-5m"));
  EXPECT_TRUE(DurFails("h"));
  EXPECT_TRUE(DurFails("99999999999999d"));
}

Seconds TT(const char* text) {
  std::string why;
  auto t = ParseTTime(text, &why);
  EXPECT_TRUE(t.has_value()) << text << ": " << why;
  return t.value_or(Seconds(-999999));
}

TEST(TimeSpecTest, ParsesTTimes) {
  EXPECT_EQ(TT("T-02:00").count(), -7200);
  EXPECT_EQ(TT("T+00:15").count(), 900);
  EXPECT_EQ(TT("T+1:30:00").count(), 5400);
  EXPECT_EQ(TT("T+1:30:15").count(), 5415);
  EXPECT_EQ(TT("T+90m").count(), 5400);
  EXPECT_EQ(TT("T-2h").count(), -7200);
  EXPECT_EQ(TT("T+0:00").count(), 0);
}

TEST(TimeSpecTest, RejectsMalformedTTimes) {
  std::string why;
  for (const char* bad : {"T02:00", "T+2", "T+02:0", "T+02:60", "T+1:30:5", "T+1:30:00:00",
                          "t+02:00", "T+", "T+x"}) {
    EXPECT_FALSE(ParseTTime(bad, &why).has_value()) << bad;
  }
}

TEST(TimeSpecTest, ParsesAbsoluteTimesWithOffsets) {
  std::string why;
  auto a = ParseInstant("2026-12-05T22:00:00-05:00", &why);
  ASSERT_TRUE(a.has_value()) << why;
  EXPECT_FALSE(a->relative());
  EXPECT_EQ(a->unix_seconds, 1796526000);  // 2026-12-06T03:00:00Z
  EXPECT_EQ(a->utc_offset_minutes, -300);
  auto z = ParseInstant("2026-12-06T03:00:00Z", &why);
  ASSERT_TRUE(z.has_value());
  EXPECT_EQ(z->unix_seconds, a->unix_seconds);
  auto compact = ParseInstant("2026-12-06T08:30+0530", &why);
  ASSERT_TRUE(compact.has_value()) << why;
  EXPECT_EQ(compact->unix_seconds, a->unix_seconds);
  EXPECT_EQ(compact->utc_offset_minutes, 330);
}

TEST(TimeSpecTest, RejectsAbsoluteTimesWithoutOffsetOrImpossibleDates) {
  std::string why;
  EXPECT_FALSE(ParseInstant("2026-12-05T22:00:00", &why).has_value());
  EXPECT_NE(why.find("offset"), std::string::npos);
  EXPECT_FALSE(ParseInstant("2026-02-29T22:00:00Z", &why).has_value());  // not a leap year
  EXPECT_TRUE(ParseInstant("2028-02-29T22:00:00Z", &why).has_value());
  EXPECT_FALSE(ParseInstant("2026-13-01T00:00:00Z", &why).has_value());
  EXPECT_FALSE(ParseInstant("2026-12-05T22:00:00.5Z", &why).has_value());
  EXPECT_FALSE(ParseInstant("2026-12-05 22:00:00Z", &why).has_value());
  EXPECT_FALSE(ParseInstant("tomorrow", &why).has_value());
}

TEST(TimeSpecTest, FormatsDurationsForPeople) {
  EXPECT_EQ(FormatDuration(Seconds(3900)), "1h05m");
  EXPECT_EQ(FormatDuration(Seconds(900)), "15m");
  EXPECT_EQ(FormatDuration(Seconds(45)), "45s");
  EXPECT_EQ(FormatDuration(Seconds(7200)), "2h");
  EXPECT_EQ(FormatDuration(Seconds(150)), "2m30s");
  EXPECT_EQ(FormatDuration(Seconds(0)), "0s");
  EXPECT_EQ(FormatDuration(Seconds(-600)), "-10m");
}

TEST(TimeSpecTest, FormatsTTimesAndClockTimes) {
  EXPECT_EQ(FormatTTime(Seconds(-7200)), "T-02:00");
  EXPECT_EQ(FormatTTime(Seconds(27000)), "T+07:30");
  EXPECT_EQ(FormatTTime(Seconds(30)), "T+00:00:30");
  EXPECT_EQ(FormatIsoTime(1796526000, -300), "2026-12-05T22:00:00-05:00");
  EXPECT_EQ(FormatClock(1796526000 + 3 * 3600, -300), "12-06 01:00");
}

TEST(TimeSpecTest, CivilDaysRoundTrip) {
  for (int64_t days : {-800000, -1, 0, 1, 19000, 20427, 2932896}) {
    int64_t y;
    unsigned m, d;
    CivilFromDays(days, &y, &m, &d);
    EXPECT_EQ(DaysFromCivil(y, m, d), days);
  }
}

}  // namespace
}  // namespace tminus
