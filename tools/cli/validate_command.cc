#include <nlohmann/json.hpp>

#include "tools/cli/commands.h"
#include "tools/cli/runbook_file.h"
#include "tools/cli/terminal.h"

namespace tminus::cli {

int RunValidate(const ValidateArgs& args, const Output& io) {
  ValidateOptions options;
  if (args.t0) {
    std::string error;
    options.t0 = ParseT0(*args.t0, &error);
    if (!options.t0) {
      io.err << "tminus validate: " << error << "\n";
      return kExitUsage;
    }
  }
  bool io_error = false;
  bool invalid = false;
  nlohmann::json files = nlohmann::json::array();
  Style style;
  style.color = io.color_out;
  for (const std::string& path : args.files) {
    const CheckedRunbook c = CheckRunbookFile(path, options, args.strict);
    if (!c.readable) {
      io_error = true;
      io.err << "tminus validate: cannot read '" << path << "': " << c.read_error << "\n";
      if (args.json) {
        files.push_back({{"file", path}, {"valid", false}, {"error", c.read_error},
                         {"diagnostics", nlohmann::json::array()}});
      }
      continue;
    }
    const bool valid = c.valid(args.strict);
    invalid = invalid || !valid;
    if (args.json) {
      nlohmann::json diagnostics = nlohmann::json::array();
      for (const Diagnostic& d : c.diagnostics.all()) {
        diagnostics.push_back({{"severity", SeverityName(d.severity)},
                               {"line", d.loc.line},
                               {"column", d.loc.column},
                               {"message", d.message}});
      }
      files.push_back({{"file", path}, {"valid", valid}, {"diagnostics", diagnostics}});
      continue;
    }
    PrintDiagnostics(c, io.out, io.color_out);
    const int errors = c.diagnostics.error_count();
    const int warnings = c.diagnostics.warning_count();
    std::string summary = path + ": ";
    if (valid) {
      summary += style.Green("valid") + ", " + std::to_string(c.runbook.steps.size()) + " steps";
    } else {
      summary += style.Red("invalid") + ", " + std::to_string(errors) +
                 (errors == 1 ? " error" : " errors");
    }
    if (warnings > 0) summary += ", " + std::to_string(warnings) + (warnings == 1 ? " warning" : " warnings");
    io.out << summary << "\n";
  }
  if (args.json) io.out << nlohmann::json{{"files", files}}.dump(2) << "\n";
  if (io_error) return kExitUsage;
  return invalid ? kExitInvalid : kExitOk;
}

}  // namespace tminus::cli
