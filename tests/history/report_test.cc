// The report and the comparison as documents: every section there, people's words and
// the runbook's text escaped, a broken chain and an unfinished run said at the top.
#include <gtest/gtest.h>

#include "engine/history/comparison.h"
#include "report/compare_report.h"
#include "report/run_report.h"
#include "tests/history/history_fixture.h"
#include "tests/journal/journal_test_util.h"

namespace tminus {
namespace {

using testing::Record;
using testing::Recorded;
using testing::TempDir;

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(RunReportTest, TheHtmlReportHasEverySectionAndEscapesTheRunbooksText) {
  TempDir dir;
  Recorded r = Record(dir, "nogo", "steps: {copy: {fail_attempts: 1}, backup: {duration: 45m}}\ngates: {gate: nogo}\n");
  const std::string html = report::RenderHtml(report::RunReport(r.history));
  for (const char* section : {"Summary", "Timeline", "Sign-offs and gate decisions",
                              "Failures, retries, skips and rollbacks", "Deadline misses and overruns", "Steps",
                              "Agents and hosts", "Journal"}) {
    EXPECT_TRUE(Contains(html, std::string("<h2>") + section + "</h2>")) << section;
  }
  EXPECT_TRUE(Contains(html, "Night &amp; day &lt;move&gt;"));
  EXPECT_FALSE(Contains(html, "<move>"));
  EXPECT_TRUE(Contains(html, "CHG-42"));
  EXPECT_TRUE(Contains(html, "<svg class=\"gantt\""));
  EXPECT_TRUE(Contains(html, "rolled back"));
  EXPECT_TRUE(Contains(html, "attempt 1 failed"));
  EXPECT_TRUE(Contains(html, "rollback started"));
  EXPECT_TRUE(Contains(html, "no-go"));
  EXPECT_TRUE(Contains(html, r.run->head));
  EXPECT_TRUE(Contains(html, "chain intact"));
  EXPECT_TRUE(Contains(html, "deadline missed"));
  // Offline: nothing is fetched and nothing runs.
  EXPECT_FALSE(Contains(html, "<script"));
  EXPECT_FALSE(Contains(html, "http://") && !Contains(html, "http://www.w3.org/2000/svg"));
  EXPECT_FALSE(Contains(html, "https://"));
  EXPECT_TRUE(Contains(html, "@media print"));
}

TEST(RunReportTest, TheMarkdownReportTabulatesTheSameFacts) {
  TempDir dir;
  Recorded r = Record(dir, "late", "steps: {backup: {duration: 45m}}\n");
  const std::string md = report::RenderMarkdown(report::RunReport(r.history));
  EXPECT_TRUE(Contains(md, "# Cutover report: Night & day <move>"));
  EXPECT_TRUE(Contains(md, "## Deadline misses and overruns"));
  EXPECT_TRUE(Contains(md, "| backup | 30m | 45m | +15m | 10m | +15m | yes |")) << md;
  EXPECT_TRUE(Contains(md, "| **Outcome** | succeeded |"));
  EXPECT_TRUE(Contains(md, "ended 15m late") || Contains(md, "15m late")) << md;
}

TEST(RunReportTest, ABrokenChainIsSaidFirst) {
  TempDir dir;
  Recorded r = Record(dir, "t", "");
  const std::string path = r.run->journal_path;
  r.run.reset();
  journal_test::RawDb(path).Exec("UPDATE records SET actor = 'mallory' WHERE seq = 3");
  auto run = LoadRecordedRun(path);
  ASSERT_TRUE(run.ok()) << run.status();
  const RunHistory h = BuildHistory(*run);
  const report::Document doc = report::RunReport(h);
  ASSERT_FALSE(doc.blocks.empty());
  EXPECT_EQ(doc.blocks.front().kind, report::Block::Kind::kBanner);
  EXPECT_TRUE(Contains(doc.blocks.front().text, "does NOT verify"));
  EXPECT_TRUE(Contains(report::RenderHtml(doc), "FAILED at record 3"));
}

TEST(RunReportTest, EveryPrefixOfAJournalIsReportedAsARunThatHasNotEnded) {
  // A coordinator may stop after any record; the report of what was written is still
  // made, says the run has not ended, and ends where the journal does.
  TempDir dir;
  Recorded full = Record(dir, "full", "steps: {copy: {fail_attempts: 1}}\ngates: {gate: nogo}\n");
  auto records = ReadJournal(full.run->journal_path);
  ASSERT_TRUE(records.ok());
  for (size_t keep = 1; keep < records->size(); ++keep) {
    SCOPED_TRACE("first " + std::to_string(keep) + " records");
    const std::string path = dir.File("cut-" + std::to_string(keep) + ".db");
    {
      auto journal = Journal::Create(path);
      ASSERT_TRUE(journal.ok());
      for (size_t k = 0; k < keep; ++k) {
        const JournalRecord& r = (*records)[k];
        ASSERT_TRUE((*journal)->Append(r.wall_ms, r.actor, r.type, r.payload, Durability::kGroup).ok());
      }
      ASSERT_TRUE((*journal)->Flush().ok());
    }
    auto run = LoadRecordedRun(path);
    ASSERT_TRUE(run.ok()) << run.status();
    const RunHistory h = BuildHistory(*run);
    EXPECT_FALSE(h.state.ended());
    const std::string html = report::RenderHtml(report::RunReport(h));
    EXPECT_TRUE(Contains(html, "The run has not ended"));
    EXPECT_TRUE(Contains(html, "last record"));
    EXPECT_TRUE(Contains(html, run->head));
    EXPECT_FALSE(report::RenderMarkdown(report::RunReport(h)).empty());
  }
}

TEST(CompareReportTest, TheVerdictNamesTheStepsThatMovedTheEnd) {
  TempDir dir;
  Recorded a = Record(dir, "a", "");
  Recorded b = Record(dir, "b", "steps: {backup: {duration: 45m}, config: {duration: 70m}}\n");
  auto c = CompareRuns(a.history, b.history);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(report::CompareVerdict(*c),
            "B ended 15m later than A (T+01:40 against T+01:25): the steps' durations account for +15m "
            "(backup +15m), time outside the steps (late starts, waiting) 0s.");
  const std::string html = report::RenderHtml(report::CompareReport(*c));
  EXPECT_TRUE(Contains(html, "<h2>Why the end moved</h2>"));
  EXPECT_TRUE(Contains(html, "<h2>The chain that set the end</h2>"));
  EXPECT_TRUE(Contains(html, "class=\"run-a"));
  EXPECT_TRUE(Contains(html, "class=\"run-b"));
}

}  // namespace
}  // namespace tminus
