// The offline commands. Each returns the process exit code (cli.md): 0 done, 1 invalid
// input, 2 usage or I/O error.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace tminus::cli {

enum ExitCode { kExitOk = 0, kExitInvalid = 1, kExitUsage = 2, kExitRunNotSucceeded = 3,
                kExitAuditFailed = 4 };

struct Output {
  std::ostream& out;
  std::ostream& err;
  bool color_out = false;
  bool color_err = false;
};

struct ValidateArgs {
  std::vector<std::string> files;
  bool strict = false;
  bool json = false;
  std::optional<std::string> t0;
};
int RunValidate(const ValidateArgs& args, const Output& io);

struct PlanArgs {
  std::string file;
  std::optional<std::string> t0;
  bool json = false;
  bool mermaid = false;
  bool csv = false;                      // a task list for spreadsheets on stdout
  std::optional<std::string> msproject;  // also write MS Project XML to this file
  std::vector<std::string> durations_from;  // journals whose observed durations to plan with
};
int RunPlan(const PlanArgs& args, const Output& io);

// `tminus import --csv FILE`: a spreadsheet task list to a runbook skeleton.
struct ImportArgs {
  std::string csv;
  std::optional<std::string> output;  // stdout when absent
  bool force = false;                 // overwrite an existing --output
  std::optional<std::string> name;    // the runbook's name; else from the file's name
  std::optional<std::string> t0;
};
int RunImport(const ImportArgs& args, const Output& io);

struct SimulateArgs {
  std::string file;
  std::optional<std::string> scenario;
  std::optional<std::string> t0;
  std::optional<std::string> journal;
  bool json = false;
};
int RunSimulate(const SimulateArgs& args, const Output& io);

}  // namespace tminus::cli
