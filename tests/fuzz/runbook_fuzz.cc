// Feeds arbitrary bytes through everything `tminus validate` and `tminus plan` do.
// Any crash, sanitizer report or hang is a bug: hostile runbooks must get diagnostics.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/loader/runbook_loader.h"
#include "engine/model/step_graph.h"
#include "engine/plan/planner.h"
#include "engine/validate/validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  tminus::Diagnostics diagnostics;
  tminus::Runbook runbook = tminus::LoadRunbook(text, &diagnostics);
  tminus::ValidateRunbook(runbook, {}, &diagnostics);
  for (const tminus::Diagnostic& d : diagnostics.all()) {
    // Every diagnostic points into the file and says something.
    if (d.loc.line < 1 || d.loc.column < 1 || d.message.empty()) std::abort();
  }
  if (!diagnostics.has_errors()) {
    const tminus::StepGraph graph = tminus::StepGraph::Build(runbook);
    if (!graph.acyclic()) std::abort();  // a cycle must have been reported
    auto plan = tminus::MakePlan(runbook, graph);
    if (plan.ok()) {
      for (const tminus::PlannedStep& p : plan->steps) {
        if (p.slack.count() < 0 || p.end < p.start) std::abort();
      }
    }
  }
  return 0;
}
