// Every runbook shipped in runbooks/ loads, validates with no warnings, and fits its window.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/model/step_graph.h"
#include "engine/plan/planner.h"
#include "tests/test_util.h"

namespace tminus {
namespace {

std::vector<std::filesystem::path> Examples() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(TMINUS_RUNBOOKS_DIR)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(ExampleRunbooksTest, ThereAreExamples) { EXPECT_GE(Examples().size(), 3u); }

TEST(ExampleRunbooksTest, EachValidatesCleanlyAndFitsItsWindow) {
  for (const auto& path : Examples()) {
    SCOPED_TRACE(path.filename().string());
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    auto c = testing::Check(text.str());
    EXPECT_EQ(c.diagnostics.all().size(), 0u) << c.Dump();
    auto plan = MakePlan(c.runbook, StepGraph::Build(c.runbook));
    ASSERT_TRUE(plan.ok()) << plan.status();
    EXPECT_TRUE(plan->window_end.has_value());
    EXPECT_TRUE(plan->fits_window);
    EXPECT_FALSE(plan->critical_path.empty());
  }
}

TEST(ExampleRunbooksTest, TheMigrationWaveCoversWhatAPractitionerNeeds) {
  std::ifstream in(std::filesystem::path(TMINUS_RUNBOOKS_DIR) / "dc-to-cloud-wave.yaml");
  std::stringstream text;
  text << in.rdbuf();
  auto c = testing::Check(text.str());
  const Runbook& rb = c.runbook;
  EXPECT_GE(rb.steps.size(), 80u);
  std::set<std::string> streams;
  int gates_with_approvers_and_deadlines = 0, no_return = 0, manual = 0;
  for (const Step& s : rb.steps) {
    streams.insert(s.stream.value);
    if (s.gate && !s.gate->approvers.empty() && s.gate->decide_by.present()) {
      ++gates_with_approvers_and_deadlines;
    }
    if (s.no_return.value) ++no_return;
    if (s.type.value == StepType::kManual) ++manual;
  }
  for (const char* stream : {"network", "compute", "storage", "security", "database", "application"}) {
    EXPECT_TRUE(streams.count(stream)) << stream;
  }
  EXPECT_GE(gates_with_approvers_and_deadlines, 2);
  EXPECT_EQ(no_return, 1);
  EXPECT_GE(manual, 3);
}

}  // namespace
}  // namespace tminus
