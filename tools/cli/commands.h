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
};
int RunPlan(const PlanArgs& args, const Output& io);

struct SimulateArgs {
  std::string file;
  std::optional<std::string> scenario;
  std::optional<std::string> t0;
  std::optional<std::string> journal;
  bool json = false;
};
int RunSimulate(const SimulateArgs& args, const Output& io);

}  // namespace tminus::cli
