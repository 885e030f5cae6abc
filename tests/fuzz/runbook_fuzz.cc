// Feeds arbitrary bytes through everything `tminus validate` and `tminus plan` do.
// Any crash, sanitizer report or hang is a bug: hostile runbooks must get diagnostics.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "engine/loader/runbook_loader.h"
#include "engine/model/step_graph.h"
#include "engine/plan/planner.h"
#include "engine/validate/validator.h"

namespace {

// Reports the broken invariant on stderr and aborts, so a crash the fuzzer finds explains
// itself.
[[noreturn]] void FuzzFailed(const char* condition, const char* what, std::string_view detail) {
  std::fprintf(stderr, "fuzz assertion failed: %s (%s)", what, condition);
  if (!detail.empty()) {
    std::fprintf(stderr, ": %.*s", static_cast<int>(detail.size()), detail.data());
  }
  std::fputc('\n', stderr);
  std::abort();
}

// Asserts an invariant of the loader, validator or planner on every input.
#define FUZZ_ASSERT(condition, what, detail)                        \
  do {                                                              \
    if (!(condition)) FuzzFailed(#condition, (what), (detail));     \
  } while (false)

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  tminus::Diagnostics diagnostics;
  tminus::Runbook runbook = tminus::LoadRunbook(text, &diagnostics);
  tminus::ValidateRunbook(runbook, {}, &diagnostics);
  for (const tminus::Diagnostic& d : diagnostics.all()) {
    FUZZ_ASSERT(!d.message.empty(), "diagnostic without a message", "");
    FUZZ_ASSERT(d.loc.line >= 1 && d.loc.column >= 1, "diagnostic without a line/column", d.message);
  }
  if (!diagnostics.has_errors()) {
    const tminus::StepGraph graph = tminus::StepGraph::Build(runbook);
    FUZZ_ASSERT(graph.acyclic(), "graph has a cycle but no error was reported", "");
    auto plan = tminus::MakePlan(runbook, graph);
    if (plan.ok()) {
      FUZZ_ASSERT(plan->steps.size() == runbook.steps.size(),
                  "plan and runbook have different step counts", "");
      for (size_t i = 0; i < plan->steps.size(); ++i) {
        const tminus::PlannedStep& p = plan->steps[i];
        FUZZ_ASSERT(p.slack.count() >= 0 && p.end >= p.start,
                    "plan step has negative slack or ends before it starts",
                    runbook.steps[i].id.value);
      }
    }
  }
  return 0;
}
