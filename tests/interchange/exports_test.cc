#include <gtest/gtest.h>

#include <string>

#include "engine/interchange/csv.h"
#include "engine/interchange/msproject_writer.h"
#include "engine/interchange/runbook_import.h"
#include "engine/interchange/task_csv.h"
#include "engine/model/step_graph.h"
#include "engine/plan/planner.h"
#include "tests/test_util.h"

namespace tminus {
namespace exports_test {

const char* kRunbook = R"(runbook: 1
name: exports
title: "Cut & run: <the> \"night\" – Zürich"
window:
  start: 2026-12-05T22:00:00-05:00
roles:
  ops: [olu]
  dba: [bogdan]
steps:
  - id: pre-check
    type: manual
    owner: ops
    stream: network
    not_before: T-01:00
    duration: 10m
  - id: backup
    title: "Back up, then verify"
    type: manual
    owner: dba
    stream: database
    duration: 1h30m
  - id: switch
    title: Switch
    type: manual
    owner: ops
    needs: [pre-check, backup]
    not_before: T+02:00
    duration: 90s
  - id: done
    type: milestone
    needs: [switch]
)";

struct Planned {
  Runbook runbook;
  Plan plan;
};

Planned PlanOf(const std::string& yaml, std::optional<Instant> t0 = std::nullopt) {
  auto c = testing::Check(yaml);
  EXPECT_FALSE(c.diagnostics.has_errors()) << c.Dump();
  Planned p;
  p.runbook = std::move(c.runbook);
  PlanOptions options;
  options.t0 = t0;
  auto plan = MakePlan(p.runbook, StepGraph::Build(p.runbook), options);
  EXPECT_TRUE(plan.ok()) << plan.status();
  if (plan.ok()) p.plan = std::move(*plan);
  return p;
}

TEST(TaskCsvTest, RowsInPlanOrderWithLocalTimes) {
  Planned p = PlanOf(kRunbook);
  const std::string csv = WriteTaskCsv(p.runbook, p.plan);
  ASSERT_EQ(csv.substr(0, 3), "\xEF\xBB\xBF");
  Diagnostics d;
  std::optional<CsvTable> table = ReadCsv(csv, &d);
  ASSERT_TRUE(table);
  ASSERT_EQ(table->rows.size(), 5u);
  EXPECT_EQ(table->rows[0].fields,
            (std::vector<std::string>{"ID", "Title", "Stream", "Owner", "Type", "Duration",
                                      "Planned start", "Planned end", "Predecessors", "Critical",
                                      "Slack"}));
  // pre-check (not_before T-01:00) and backup (no needs: at the origin) both start at 21:00
  // local; file order breaks the tie.
  EXPECT_EQ(table->rows[1].fields,
            (std::vector<std::string>{"pre-check", "", "network", "ops", "manual", "10m",
                                      "2026-12-05 21:00", "2026-12-05 21:10", "", "no", "2h50m"}));
  EXPECT_EQ(table->rows[2].fields[0], "backup");
  EXPECT_EQ(table->rows[2].fields[1], "Back up, then verify");
  EXPECT_EQ(table->rows[2].fields[9], "no");  // slack is the plan's, not_before aside
  EXPECT_EQ(table->rows[2].fields[10], "1h30m");
  EXPECT_EQ(table->rows[3].fields,
            (std::vector<std::string>{"switch", "Switch", "", "ops", "manual", "1m30s",
                                      "2026-12-06 00:00", "2026-12-06 00:01:30",
                                      "pre-check,backup", "yes", "0s"}));
  EXPECT_EQ(table->rows[4].fields[4], "milestone");
  EXPECT_EQ(table->rows[4].fields[5], "0s");
  // Every line ends in CRLF; the multi-need field is quoted.
  EXPECT_NE(csv.find("\"pre-check,backup\""), std::string::npos);
  size_t lf = 0, crlf = 0;
  for (size_t i = 0; i < csv.size(); ++i) {
    if (csv[i] == '\n') {
      ++lf;
      crlf += i > 0 && csv[i - 1] == '\r';
    }
  }
  EXPECT_EQ(lf, 5u);
  EXPECT_EQ(crlf, 5u);
}

TEST(TaskCsvTest, TTimesWithoutT0) {
  std::string yaml = kRunbook;
  yaml.erase(yaml.find("window:"), std::string("window:\n  start: 2026-12-05T22:00:00-05:00\n").size());
  Planned p = PlanOf(yaml);
  const std::string csv = WriteTaskCsv(p.runbook, p.plan);
  EXPECT_NE(csv.find("pre-check,,network,ops,manual,10m,T-01:00,T-00:50,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",T+02:00,T+02:01:30,"), std::string::npos) << csv;
}

TEST(TaskCsvTest, ImportingTheExportGivesTheSamePlan) {
  Planned p = PlanOf(kRunbook);
  const std::string csv = WriteTaskCsv(p.runbook, p.plan);
  ImportOptions options;
  options.name = "again";
  options.source = "exports.csv";
  options.t0 = p.runbook.window.start.value;
  ImportResult result = ImportTaskCsv(csv, options);
  ASSERT_TRUE(result.runbook);
  EXPECT_TRUE(result.diagnostics.all().empty());
  Planned again = PlanOf(WriteSkeletonYaml(*result.runbook));
  EXPECT_EQ(WriteTaskCsv(again.runbook, again.plan), csv);
}

TEST(TaskCsvTest, TextThatASpreadsheetWouldRunAsAFormulaIsNeutralizedAndReadBack) {
  const std::string yaml = std::string(kRunbook) + R"yaml(  - id: formula
    title: "=HYPERLINK(\"http://evil\",\"x\")"
    type: manual
    owner: ops
    stream: "+network"
    needs: [done]
    duration: 5m
)yaml";
  Planned p = PlanOf(yaml);
  const std::string csv = WriteTaskCsv(p.runbook, p.plan);
  EXPECT_NE(csv.find("\"'=HYPERLINK("), std::string::npos) << csv;
  EXPECT_NE(csv.find(",'+network,"), std::string::npos) << csv;
  EXPECT_EQ(csv.find(",=HYPERLINK"), std::string::npos);
  EXPECT_EQ(csv.find(",\"=HYPERLINK"), std::string::npos);
  ImportOptions options;
  options.name = "again";
  options.source = "exports.csv";
  options.t0 = p.runbook.window.start.value;
  ImportResult result = ImportTaskCsv(csv, options);
  ASSERT_TRUE(result.runbook);
  Planned again = PlanOf(WriteSkeletonYaml(*result.runbook));
  EXPECT_EQ(WriteTaskCsv(again.runbook, again.plan), csv);
  const int formula = StepGraph::Build(again.runbook).Find("formula");
  ASSERT_GE(formula, 0);
  EXPECT_EQ(again.runbook.steps[formula].title.value, "=HYPERLINK(\"http://evil\",\"x\")");
  EXPECT_EQ(again.runbook.steps[formula].stream.value, "+network");
}

TEST(MsProjectTest, NeedsT0) {
  std::string yaml = kRunbook;
  yaml.erase(yaml.find("window:"), std::string("window:\n  start: 2026-12-05T22:00:00-05:00\n").size());
  Planned p = PlanOf(yaml);
  EXPECT_EQ(WriteMsProjectXml(p.runbook, p.plan), "");
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(MsProjectTest, TasksLinksConstraintsAndEscaping) {
  Planned p = PlanOf(kRunbook);
  const std::string xml = WriteMsProjectXml(p.runbook, p.plan);
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"", 0), 0u);
  EXPECT_NE(xml.find("<Project xmlns=\"http://schemas.microsoft.com/project\">"), std::string::npos);
  EXPECT_NE(xml.find("<Title>Cut &amp; run: &lt;the&gt; &quot;night&quot; – Zürich</Title>"),
            std::string::npos);
  EXPECT_NE(xml.find("<StartDate>2026-12-05T21:00:00</StartDate>"), std::string::npos);
  EXPECT_NE(xml.find("<FinishDate>2026-12-06T00:01:30</FinishDate>"), std::string::npos);
  // A project summary, three streams (network, database, general) and four steps.
  EXPECT_EQ(Count(xml, "<Task>"), 8);
  EXPECT_EQ(Count(xml, "<OutlineLevel>1</OutlineLevel>"), 3);
  EXPECT_EQ(Count(xml, "<OutlineLevel>2</OutlineLevel>"), 4);
  EXPECT_NE(xml.find("<Name>general</Name>"), std::string::npos);
  EXPECT_EQ(Count(xml, "<PredecessorLink>"), 3);
  EXPECT_EQ(Count(xml, "<ConstraintType>4</ConstraintType>"), 2);
  EXPECT_NE(xml.find("<ConstraintDate>2026-12-06T00:00:00</ConstraintDate>"), std::string::npos);
  EXPECT_NE(xml.find("<Duration>PT1H30M0S</Duration>"), std::string::npos);
  EXPECT_NE(xml.find("<Duration>PT0H1M30S</Duration>"), std::string::npos);
  EXPECT_EQ(Count(xml, "<Milestone>1</Milestone>"), 1);
  EXPECT_NE(xml.find("<Value>pre-check</Value>"), std::string::npos);
  EXPECT_EQ(Count(xml, "<Resource>"), 2);
  EXPECT_EQ(Count(xml, "<Assignment>"), 3);
}

}  // namespace exports_test
}  // namespace tminus
