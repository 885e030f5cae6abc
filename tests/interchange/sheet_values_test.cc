#include "engine/interchange/sheet_values.h"

#include <gtest/gtest.h>

#include "engine/interchange/predecessors.h"

namespace tminus {
namespace sheet_values_test {

int64_t DurationOf(const std::string& text) {
  std::string why;
  std::optional<Seconds> d = ParseSheetDuration(text, &why);
  EXPECT_TRUE(d.has_value()) << text << ": " << why;
  return d ? d->count() : -1;
}

TEST(SheetDurationTest, WhatPeopleType) {
  EXPECT_EQ(DurationOf("30m"), 1800);
  EXPECT_EQ(DurationOf("1h30m"), 5400);
  EXPECT_EQ(DurationOf("1h05m"), 3900);  // as `plan --csv` writes it
  EXPECT_EQ(DurationOf("1.5h"), 5400);
  EXPECT_EQ(DurationOf("1,5h"), 5400);
  EXPECT_EQ(DurationOf("90 mins"), 5400);
  EXPECT_EQ(DurationOf("2 hrs"), 7200);
  EXPECT_EQ(DurationOf("1 hr 30 mins"), 5400);
  EXPECT_EQ(DurationOf("1d"), 86400);
  EXPECT_EQ(DurationOf("0.5 days"), 43200);
  EXPECT_EQ(DurationOf("1 wk"), 7 * 86400);
  EXPECT_EQ(DurationOf("2 edays"), 2 * 86400);
  EXPECT_EQ(DurationOf("3 days?"), 3 * 86400);
  EXPECT_EQ(DurationOf("45"), 2700);  // a bare number is minutes
  EXPECT_EQ(DurationOf("1.5"), 90);
  EXPECT_EQ(DurationOf("0"), 0);
  EXPECT_EQ(DurationOf("0 days"), 0);
  EXPECT_EQ(DurationOf("1:30"), 5400);
  EXPECT_EQ(DurationOf("0:00:45"), 45);
  EXPECT_EQ(DurationOf(" 20 Minutes "), 1200);
  EXPECT_EQ(DurationOf("90s"), 90);
}

TEST(SheetDurationTest, Refusals) {
  for (const char* bad : {"", "soon", "-5m", "5 fortnights", "1h 30", "1:75", "2 months", "400d",
                          "h"}) {
    std::string why;
    EXPECT_FALSE(ParseSheetDuration(bad, &why).has_value()) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
}

TEST(SheetTimeTest, TTimesAbsoluteAndLocal) {
  std::string why;
  std::optional<SheetTime> t = ParseSheetTime("T-04:00", &why);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, SheetTime::Kind::kRelative);
  EXPECT_EQ(t->offset.count(), -4 * 3600);
  t = ParseSheetTime("t+90m", &why);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->offset.count(), 5400);

  t = ParseSheetTime("2026-12-05T22:00:00-05:00", &why);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, SheetTime::Kind::kAbsolute);
  EXPECT_EQ(t->utc_offset_minutes, -300);
  const int64_t expected = DaysFromCivil(2026, 12, 6) * 86400 + 3 * 3600;
  EXPECT_EQ(t->unix_seconds, expected);
  t = ParseSheetTime("2026-12-05 22:00 -05:00", &why);
  ASSERT_TRUE(t) << why;
  EXPECT_EQ(t->unix_seconds, expected);

  for (const char* local : {"2026-12-05 22:00", "2026-12-05T22:00:00", "2026/12/05 22:00"}) {
    t = ParseSheetTime(local, &why);
    ASSERT_TRUE(t) << local << ": " << why;
    EXPECT_EQ(t->kind, SheetTime::Kind::kLocal);
    EXPECT_EQ(t->unix_seconds, DaysFromCivil(2026, 12, 5) * 86400 + 22 * 3600) << local;
  }
  t = ParseSheetTime("2026-12-05 9:05:30", &why);
  ASSERT_TRUE(t) << why;
  EXPECT_EQ(t->unix_seconds, DaysFromCivil(2026, 12, 5) * 86400 + 9 * 3600 + 5 * 60 + 30);
  t = ParseSheetTime("2026-12-05", &why);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->unix_seconds, DaysFromCivil(2026, 12, 5) * 86400);

  for (const char* bad : {"12/5/2026 22:00", "tomorrow", "2026-02-30 10:00", "2026-12-05 25:00",
                          "T+1:75"}) {
    EXPECT_FALSE(ParseSheetTime(bad, &why).has_value()) << bad;
  }
}

TEST(SheetTimeTest, FormatsInTheRunbooksOffsetOrAsTTimes) {
  Plan plan;
  EXPECT_EQ(FormatSheetTime(plan, Seconds(-4 * 3600)), "T-04:00");
  EXPECT_EQ(FormatSheetTime(plan, Seconds(5430)), "T+01:30:30");
  plan.t0_unix = DaysFromCivil(2026, 12, 6) * 86400 + 3 * 3600;  // 22:00 at -05:00
  plan.utc_offset_minutes = -300;
  EXPECT_EQ(FormatSheetTime(plan, Seconds(0)), "2026-12-05 22:00");
  EXPECT_EQ(FormatSheetTime(plan, Seconds(7230)), "2026-12-06 00:00:30");
}

TEST(SlugifyTest, NamesToIds) {
  EXPECT_EQ(Slugify("Stop ERP app (DC1)"), "stop-erp-app-dc1");
  EXPECT_EQ(Slugify("  --Überprüfung der Datenbank: Schritt 2!  "),
            "uberprufung-der-datenbank-schritt-2");
  EXPECT_EQ(Slugify("Straße & Café"), "strasse-cafe");
  EXPECT_EQ(Slugify("数据库"), "");
  EXPECT_EQ(Slugify("a\xE2\x80\x93" "b"), "a-b");
  EXPECT_EQ(Slugify("One two three four", 9), "one-two-t");
  EXPECT_EQ(Slugify("One two three", 8), "one-two");  // no dash left at the cut
  EXPECT_TRUE(IsStepId(Slugify("Any Name, at all: 42%")));
}

TEST(StepIdTest, TheFormatsPattern) {
  EXPECT_TRUE(IsStepId("stop-app"));
  EXPECT_TRUE(IsStepId("3"));
  EXPECT_TRUE(IsStepId("db.backup_2"));
  EXPECT_FALSE(IsStepId(""));
  EXPECT_FALSE(IsStepId("-x"));
  EXPECT_FALSE(IsStepId("Stop"));
  EXPECT_FALSE(IsStepId("a b"));
}

std::vector<PredecessorLink> Links(const std::string& cell, std::string* unknown = nullptr) {
  const auto known = [](std::string_view ref) {
    return ref == "3" || ref == "4" || ref == "5" || ref == "prep-fs" || ref == "stop-app";
  };
  std::vector<PredecessorLink> links;
  std::string missing;
  const bool ok = ParsePredecessors(cell, known, &links, &missing);
  if (unknown) *unknown = ok ? "" : missing;
  return links;
}

TEST(PredecessorsTest, MsProjectStyleLists) {
  std::vector<PredecessorLink> l = Links("3;5");
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].ref, "3");
  EXPECT_EQ(l[1].ref, "5");
  l = Links("3FS, 4SS+2h ,5ff-1 day");
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].ref, "3");
  EXPECT_EQ(l[0].type, "FS");
  EXPECT_EQ(l[0].lag, "");
  EXPECT_EQ(l[1].ref, "4");
  EXPECT_EQ(l[1].type, "SS");
  EXPECT_EQ(l[1].lag, "+2h");
  EXPECT_EQ(l[2].type, "FF");
  EXPECT_EQ(l[2].lag, "-1 day");
  l = Links("4FS+0 days;5FS+50%");
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].lag, "");  // a zero lag is no lag
  EXPECT_EQ(l[1].lag, "+50%");
  // Ids are matched whole first: "prep-fs" is an id, not "prep" with a link type.
  l = Links("prep-fs,stop-app,stop-appFS+30m");
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].ref, "prep-fs");
  EXPECT_EQ(l[1].ref, "stop-app");
  EXPECT_EQ(l[2].ref, "stop-app");
  EXPECT_EQ(l[2].lag, "+30m");
  EXPECT_TRUE(Links(" ; ,").empty());
}

TEST(PredecessorsTest, UnknownEntryIsNamed) {
  std::string unknown;
  Links("3;7FS", &unknown);
  EXPECT_EQ(unknown, "7FS");
  Links("stop-ap", &unknown);
  EXPECT_EQ(unknown, "stop-ap");
}

}  // namespace sheet_values_test
}  // namespace tminus
