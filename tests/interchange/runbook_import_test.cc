#include "engine/interchange/runbook_import.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/loader/runbook_loader.h"
#include "engine/model/step_graph.h"
#include "engine/plan/planner.h"
#include "engine/validate/validator.h"

namespace tminus {
namespace import_test {

struct Imported {
  ImportResult result;
  std::string yaml;
  Runbook runbook;
  Diagnostics checked;  // the project's own loader and validator on the YAML

  std::string Dump() const {
    std::string out;
    for (const Diagnostic& d : result.diagnostics.all()) {
      out += std::to_string(d.loc.line) + ":" + std::to_string(d.loc.column) + ": " +
             SeverityName(d.severity) + ": " + d.message + "\n";
    }
    for (const Diagnostic& d : checked.all()) {
      out += "yaml " + std::to_string(d.loc.line) + ": " + d.message + "\n";
    }
    return out + yaml;
  }
  const Step* Find(const std::string& id) const {
    for (const Step& s : runbook.steps) {
      if (s.id.value == id) return &s;
    }
    return nullptr;
  }
  std::vector<std::string> Needs(const std::string& id) const {
    std::vector<std::string> needs;
    if (const Step* s = Find(id)) {
      for (const SourcedString& n : s->needs) needs.push_back(n.value);
    }
    return needs;
  }
  bool HasWarning(int line, const std::string& text) const {
    for (const Diagnostic& d : result.diagnostics.all()) {
      if (d.severity == Severity::kWarning && d.loc.line == line &&
          d.message.find(text) != std::string::npos) {
        return true;
      }
    }
    return false;
  }
};

Imported Import(const std::string& csv, std::optional<Instant> t0 = std::nullopt) {
  Imported im;
  ImportOptions options;
  options.name = "imported";
  options.source = "tasks.csv";
  options.t0 = t0;
  im.result = ImportTaskCsv(csv, options);
  if (!im.result.runbook) return im;
  im.yaml = WriteSkeletonYaml(*im.result.runbook);
  im.runbook = LoadRunbook(im.yaml, &im.checked);
  ValidateRunbook(im.runbook, ValidateOptions{}, &im.checked);
  return im;
}

// The one error of a bad import, as "line:column: message".
std::string OnlyError(const std::string& csv) {
  Imported im = Import(csv);
  EXPECT_FALSE(im.result.runbook.has_value());
  std::string out;
  for (const Diagnostic& d : im.result.diagnostics.all()) {
    if (d.severity == Severity::kError) {
      out += std::to_string(d.loc.line) + ":" + std::to_string(d.loc.column) + ": " + d.message;
    }
  }
  EXPECT_EQ(im.result.diagnostics.error_count(), 1) << out;
  return out;
}

TEST(RunbookImportTest, ExcelExportBecomesAValidRunbook) {
  const std::string csv =
      "\xEF\xBB\xBFID;Task Name;Duration;Predecessors;Resource Names;Phase\r\n"
      "1;Open the bridge;15 mins;;Cutover Lead;coordination\r\n"
      "2;\"Stop app; drain queues\";1,5h;1;App Team;application\r\n"
      "3;Back up DB: full \"cold\" # copy;2 hrs;1FS;DBA Team;database\r\n"
      "4;Switch DNS;30;2;Network;network\r\n"
      "5;Smoke test;20m;3;App Team;application\r\n"
      "6;Go live;0;4FS+2h,5SS;Cutover Lead;coordination\r\n";
  Imported im = Import(csv);
  ASSERT_TRUE(im.result.runbook) << im.Dump();
  EXPECT_FALSE(im.checked.has_errors()) << im.Dump();
  EXPECT_EQ(im.checked.warning_count(), 0) << im.Dump();
  ASSERT_EQ(im.runbook.steps.size(), 6u);
  // Numeric ids become slugs of the names; predecessors follow them.
  EXPECT_EQ(im.runbook.steps[1].id.value, "stop-app-drain-queues");
  EXPECT_EQ(im.runbook.steps[1].title.value, "Stop app; drain queues");
  EXPECT_EQ(im.runbook.steps[2].title.value, "Back up DB: full \"cold\" # copy");
  EXPECT_EQ(im.Needs("go-live"), (std::vector<std::string>{"switch-dns", "smoke-test"}));
  EXPECT_EQ(im.Needs("back-up-db-full-cold-copy"), (std::vector<std::string>{"open-the-bridge"}));
  // Durations: 1,5h with a decimal comma, a bare 30 is minutes.
  EXPECT_EQ(im.Find("stop-app-drain-queues")->duration.value.count(), 5400);
  EXPECT_EQ(im.Find("switch-dns")->duration.value.count(), 1800);
  // Zero duration: a milestone; others manual, owned, with the owner declared.
  EXPECT_EQ(im.Find("go-live")->type.value, StepType::kMilestone);
  EXPECT_EQ(im.Find("switch-dns")->type.value, StepType::kManual);
  EXPECT_EQ(im.Find("switch-dns")->owner.value, "Network");
  EXPECT_EQ(im.Find("smoke-test")->stream.value, "application");
  EXPECT_TRUE(im.runbook.IsRoleOrPerson("DBA Team"));
  ASSERT_NE(im.runbook.FindRole("dba-team"), nullptr);
  EXPECT_EQ(im.runbook.FindRole("dba-team")->people[0].value, "DBA Team");
  // The lag and the start-to-start link are reported at the row's line.
  EXPECT_TRUE(im.HasWarning(7, "lag +2h")) << im.Dump();
  EXPECT_TRUE(im.HasWarning(7, "start-to-start")) << im.Dump();
  EXPECT_NE(im.yaml.find("# the sheet's predecessors: 4FS+2h, 5SS"), std::string::npos) << im.yaml;
}

TEST(RunbookImportTest, IdsAreKeptWhenValidAndMadeUniqueOtherwise) {
  const std::string csv =
      "Task ID,Name,Duration,Depends on\n"
      "backup,Backup,10m,\n"
      "1.1,Check,5m,backup\n"
      "1.2,Check,5m,1.1\n"
      "Check,Something else,5m,1.2\n"
      ",Unreferenced,5m,backup\n";
  Imported im = Import(csv);
  ASSERT_TRUE(im.result.runbook) << im.Dump();
  EXPECT_FALSE(im.checked.has_errors()) << im.Dump();
  std::vector<std::string> ids;
  for (const Step& s : im.runbook.steps) ids.push_back(s.id.value);
  EXPECT_EQ(ids, (std::vector<std::string>{"backup", "check", "check-2", "something-else",
                                           "unreferenced"}));
  EXPECT_EQ(im.Needs("check-2"), (std::vector<std::string>{"check"}));
  EXPECT_EQ(im.Needs("something-else"), (std::vector<std::string>{"check-2"}));
}

TEST(RunbookImportTest, WithoutAnIdColumnPredecessorsAreRowNumbers) {
  Imported im = Import("Name,Duration,Predecessors\nFirst,5m,\nSecond,5m,1\nThird,5m,\"1,2\"\n");
  ASSERT_TRUE(im.result.runbook) << im.Dump();
  EXPECT_EQ(im.Needs("third"), (std::vector<std::string>{"first", "second"}));
}

TEST(RunbookImportTest, TypesFromATypeColumn) {
  Imported im = Import(
      "id,title,type,duration,owner,predecessors\n"
      "a,,task,5m,,\n"
      "b,,check,5m,ops,a\n"
      "c,,gate,10m,,b\n"
      "d,,milestone,0s,,c\n"
      "e,,Fixed Units,5m,ops,d\n"
      "f,,manual,5m,,e\n");
  ASSERT_TRUE(im.result.runbook) << im.Dump();
  EXPECT_FALSE(im.checked.has_errors()) << im.Dump();
  EXPECT_EQ(im.Find("a")->type.value, StepType::kTask);
  ASSERT_TRUE(im.Find("a")->run);  // a placeholder
  EXPECT_EQ(im.Find("a")->run->command[0].value, "false");
  EXPECT_EQ(im.Find("b")->type.value, StepType::kCheck);
  EXPECT_EQ(im.Find("c")->type.value, StepType::kGate);
  EXPECT_EQ(im.Find("d")->type.value, StepType::kMilestone);
  EXPECT_EQ(im.Find("e")->type.value, StepType::kManual);  // MS Project's task type is not ours
  EXPECT_TRUE(im.HasWarning(6, "'Fixed Units' is not a step type"));
  EXPECT_EQ(im.Find("f")->owner.value, "unassigned");
  EXPECT_TRUE(im.HasWarning(7, "no owner"));
}

TEST(RunbookImportTest, StartsBecomeNotBeforeOnlyWhereNeeded) {
  // T0 is the earliest start; "b" waits for "a", "c" starts later than "a" ends.
  const std::string csv =
      "id,name,duration,predecessors,start,owner\n"
      "a,A,30m,,2026-12-05 22:00,ops\n"
      "b,B,15m,a,2026-12-05 22:30,ops\n"
      "c,C,15m,a,2026-12-05 23:00,ops\n"
      "d,D,15m,,2026-12-06 01:00,ops\n";
  Instant t0;
  t0.kind = Instant::Kind::kAbsolute;
  t0.unix_seconds = DaysFromCivil(2026, 12, 6) * 86400 + 3 * 3600;  // 22:00 at -05:00
  t0.utc_offset_minutes = -300;
  Imported im = Import(csv, t0);
  ASSERT_TRUE(im.result.runbook) << im.Dump();
  EXPECT_TRUE(im.result.diagnostics.all().empty()) << im.Dump();
  EXPECT_FALSE(im.Find("a")->not_before.present());
  EXPECT_FALSE(im.Find("b")->not_before.present());
  ASSERT_TRUE(im.Find("c")->not_before.present());
  EXPECT_EQ(im.Find("c")->not_before.value.offset.count(), 3600);
  EXPECT_EQ(im.Find("d")->not_before.value.offset.count(), 3 * 3600);
  ASSERT_TRUE(im.runbook.window.start.present());
  EXPECT_EQ(im.runbook.window.start.value.unix_seconds, t0.unix_seconds);
  EXPECT_EQ(im.runbook.window.start.value.utc_offset_minutes, -300);

  // The plan starts every step where the sheet did.
  auto plan = MakePlan(im.runbook, StepGraph::Build(im.runbook));
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->steps[1].start.count(), 1800);
  EXPECT_EQ(plan->steps[2].start.count(), 3600);
  EXPECT_EQ(plan->steps[3].start.count(), 3 * 3600);
}

TEST(RunbookImportTest, StartsBeforeT0AndTTimes) {
  const std::string csv =
      "id,name,duration,predecessors,start\n"
      "pre,Pre-check,10m,,T-02:00\n"
      "other,Another pre-check,10m,,T-01:00\n"
      "go,Change,10m,pre,T+00:00\n"
      "late,Starts before its need ends,10m,go,T+00:05\n"
      "opens,At T0 without needs,10m,,T+00:00\n";
  Imported im = Import(csv);
  ASSERT_TRUE(im.result.runbook) << im.Dump();
  EXPECT_FALSE(im.runbook.window.start.present());
  EXPECT_EQ(im.Find("pre")->not_before.value.offset.count(), -7200);
  EXPECT_EQ(im.Find("other")->not_before.value.offset.count(), -3600);
  EXPECT_EQ(im.Find("go")->not_before.value.offset.count(), 0);
  EXPECT_FALSE(im.Find("late")->not_before.present());
  EXPECT_TRUE(im.HasWarning(5, "before its predecessors end")) << im.Dump();
  // The origin is T-02:00, so a step without needs that starts at T0 needs its not_before.
  ASSERT_TRUE(im.Find("opens")->not_before.present());
  EXPECT_EQ(im.Find("opens")->not_before.value.offset.count(), 0);
  auto plan = MakePlan(im.runbook, StepGraph::Build(im.runbook));
  ASSERT_TRUE(plan.ok());
  const std::vector<int64_t> starts = {-7200, -3600, 0, 600, 0};
  for (size_t i = 0; i < starts.size(); ++i) EXPECT_EQ(plan->steps[i].start.count(), starts[i]) << i;
}

TEST(RunbookImportTest, LocalTimesWithoutT0AreReadAsUtcWithAWarning) {
  Imported im = Import("name,duration,start\nA,5m,2026-12-05 22:00\nB,5m,2026-12-05 23:00\n");
  ASSERT_TRUE(im.result.runbook) << im.Dump();
  EXPECT_TRUE(im.HasWarning(2, "no UTC offset"));
  EXPECT_EQ(im.runbook.window.start.value.utc_offset_minutes, 0);
  EXPECT_EQ(im.Find("b")->not_before.value.offset.count(), 3600);
  // Times that carry an offset set it, and no warning is needed.
  Imported with_offset =
      Import("name,duration,start,team\nA,5m,2026-12-05T22:00:00-05:00,x\nB,5m,2026-12-05 23:00,x\n");
  ASSERT_TRUE(with_offset.result.runbook);
  EXPECT_TRUE(with_offset.result.diagnostics.all().empty()) << with_offset.Dump();
  EXPECT_EQ(with_offset.runbook.window.start.value.utc_offset_minutes, -300);
  EXPECT_EQ(with_offset.Find("b")->not_before.value.offset.count(), 3600);
}

TEST(RunbookImportTest, HostileTextSurvivesTheYaml) {
  const std::string titles[] = {
      "key: value # not a comment", "\"quoted\" and 'single'", "- looks like a list",
      "yes", "null", "{flow: map}", "[a, b]", "back\\slash", "tab\there",
      "two\nlines", "Çà et là — ok ✓", "*alias &anchor !tag %directive @at `tick`", "|", ">", "~",
      "  leading and trailing spaces  "};
  std::string csv = "id,name,duration,owner,stream\n";
  int n = 0;
  for (const std::string& t : titles) {
    std::string quoted = "\"";
    for (char c : t) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    quoted += "\"";
    csv += "s" + std::to_string(++n) + "," + quoted + ",5m," + quoted + "," + quoted + "\n";
  }
  Imported im = Import(csv);
  ASSERT_TRUE(im.result.runbook) << im.Dump();
  EXPECT_FALSE(im.checked.has_errors()) << im.Dump();
  ASSERT_EQ(im.runbook.steps.size(), std::size(titles));
  for (size_t i = 0; i < std::size(titles); ++i) {
    // Cells are trimmed, as spreadsheets show them.
    std::string expected = titles[i];
    expected.erase(0, expected.find_first_not_of(" "));
    expected.erase(expected.find_last_not_of(" ") + 1);
    EXPECT_EQ(im.runbook.steps[i].title.value, expected);
    EXPECT_EQ(im.runbook.steps[i].owner.value, expected);
    EXPECT_EQ(im.runbook.steps[i].stream.value, expected);
    EXPECT_TRUE(im.runbook.IsRoleOrPerson(expected)) << expected;
  }
}

TEST(RunbookImportTest, ErrorsNameTheLineAndColumn) {
  EXPECT_EQ(OnlyError("id,name,duration,predecessors\na,A,5m,\nb,B,5m,c\n"),
            "3:4: column 'predecessors': 'c' is not a task in this file; did you mean 'a'?");
  EXPECT_EQ(OnlyError("name,duration,predecessors\nA,5m,\nB,5m,3\n"),
            "3:3: column 'predecessors': '3' is not a task in this file (the sheet has no id "
            "column, so predecessors are row numbers from 1)");
  EXPECT_EQ(OnlyError("id,name,duration,predecessors\nabc,A,5m,\nb,B,5m,abd\n"),
            "3:4: column 'predecessors': 'abd' is not a task in this file; did you mean 'abc'?");
  EXPECT_EQ(OnlyError("id,name,duration,predecessors\na,A,5m,c\nb,B,5m,a\nc,C,5m,b\n"),
            "2:4: dependency cycle: 'a' needs 'c' needs 'b' needs 'a'");
  EXPECT_EQ(OnlyError("ID,Name,Duration\n1,A,5m\n2,B,5m\n1,C,5m\n"),
            "4:1: duplicate id '1': the row at line 2 has it too");
  EXPECT_EQ(OnlyError("Name,Duration\nA,5m\n\"B on\ntwo lines\",5m\nC,5 fortnights\n"),
            "5:2: column 'Duration': '5 fortnights' is not a duration: unknown unit "
            "'fortnights'; write a duration like 30m, 1h30m, 1.5h, 90 mins, 2 hrs or 1d (a bare "
            "number is minutes)");
  const std::string missing = OnlyError("ID,Duration,Predecessors\n1,5m,\n");
  EXPECT_EQ(missing.substr(0, 4), "1:1:");
  EXPECT_NE(missing.find("no name column"), std::string::npos) << missing;
  EXPECT_NE(OnlyError("name,duration\nA,5m,\nB,,\n").find("3:2: column 'duration' is empty"),
            std::string::npos);
  EXPECT_NE(OnlyError("id,name,duration,predecessors\na,A,5m,a\n").find("names itself"),
            std::string::npos);
  EXPECT_NE(OnlyError("name,duration,type\nA,2h,milestone\n").find("a milestone takes no time"),
            std::string::npos);
  EXPECT_NE(OnlyError("name,duration,start\nA,5m,next tuesday\n").find("2:3: column 'start'"),
            std::string::npos);
}

// Whatever a sheet holds, the import either reports an error or writes a runbook that
// loads and validates without one.
TEST(RunbookImportTest, MangledSheetsGiveAnErrorOrAValidRunbook) {
  const std::string base =
      "ID;Task Name;Duration;Predecessors;Owner;Start;Phase;Type\r\n"
      "1;Open bridge;15 mins;;Lead;2026-12-05 21:00;coord;\r\n"
      "2;\"Stop; drain\";1,5h;1;App Team;;app;task\r\n"
      "3;Back up: cold;2 hrs;1FS+1h;DBA;T+00:30;db;check\r\n"
      "4;Gate;10m;2,3;;;;gate\r\n"
      "5;Go live;0;4SS;Lead;;coord;\r\n";
  const std::string alphabet = ";,\"\r\n :#-+'&{}[]|>*!%@`\\0123456789aAzZ\xC3\xA9\xE2\x80\xA8\t";
  uint32_t seed = 12345;
  auto next = [&seed]() {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 8) & 0xFFFFFF;
  };
  int valid = 0;
  for (int round = 0; round < 400; ++round) {
    std::string csv = base;
    const int edits = 1 + static_cast<int>(next() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = next() % (csv.size() + 1);
      switch (next() % 3) {
        case 0: csv.insert(at, 1, alphabet[next() % alphabet.size()]); break;
        case 1: if (at < csv.size()) csv.erase(at, 1); break;
        default: if (at < csv.size()) csv[at] = alphabet[next() % alphabet.size()];
      }
    }
    Imported im = Import(csv);
    if (!im.result.runbook) {
      EXPECT_TRUE(im.result.diagnostics.has_errors()) << csv;
      continue;
    }
    ++valid;
    EXPECT_FALSE(im.checked.has_errors()) << csv << "\n" << im.Dump();
  }
  EXPECT_GT(valid, 50);  // the mangling leaves many sheets importable
}

}  // namespace import_test
}  // namespace tminus
