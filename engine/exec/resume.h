// Loading a stopped run for `tminus resume`: the journal's chain is checked, the runbook is
// the copy the journal kept when the run started (never a file that may have changed
// since), and every event is decoded, ready for RunEngine::Resume.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/exec/run_engine.h"
#include "engine/exec/run_event.h"
#include "engine/model/runbook.h"
#include "engine/model/step_graph.h"

namespace tminus {

// Everything a resume needs from a journal. The engine refers to `runbook` and `graph`, so
// keep this in one place while it runs.
struct ResumeInput {
  std::string journal_path;
  Runbook runbook;  // loaded from the run_started record's runbook text
  StepGraph graph;
  std::vector<RunEvent> events;  // every record, decoded, in order
  // As run_started recorded them.
  std::string mode;
  EngineTime t0{0};
  bool t0_known = false;
  std::string runbook_text;
  std::string runbook_sha256;
  // The journal's last record: how many there are, and its hash (the chain's head).
  int64_t records = 0;
  std::string head;
};

// Reads the journal at `journal_path` for a resume. Fails, saying why, when the file cannot
// be read, its chain does not verify, the run already ended, the runbook it holds does not
// load and validate, or a record does not decode.
absl::StatusOr<ResumeInput> LoadRunForResume(const std::string& journal_path);

// The options for the engine that resumes `input`: the mode, T0 and runbook the run started
// with, every decision synced; `secrets` resolved from input.runbook (ResolveSecrets).
RunOptions ResumeRunOptions(const ResumeInput& input, std::map<std::string, std::string> secrets);

}  // namespace tminus
