// `tminus import --csv FILE`: a spreadsheet task list in, a runbook skeleton out.
#include <sys/stat.h>

#include "engine/interchange/runbook_import.h"
#include "engine/interchange/sheet_values.h"
#include "engine/loader/runbook_loader.h"
#include "engine/validate/validator.h"
#include "tools/cli/commands.h"
#include "tools/cli/runbook_file.h"
#include "tools/cli/terminal.h"

namespace tminus::cli {
namespace {

bool IsRunbookName(const std::string& name) {
  if (name.empty() || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9'))) {
    return false;
  }
  return name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
}

// "exports/ERP Wave 3.csv" -> "erp-wave-3".
std::string NameFromPath(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  const size_t dot = base.find_last_of('.');
  if (dot != std::string::npos && dot > 0) base.resize(dot);
  const std::string name = Slugify(base, 64);  // letters, digits and dashes
  return name.empty() ? "imported" : name;
}

void PrintImportDiagnostics(const std::string& file, const Diagnostics& diagnostics,
                            const Output& io) {
  Style style;
  style.color = io.color_err;
  for (const Diagnostic& d : diagnostics.all()) {
    const std::string label = d.severity == Severity::kError ? style.Red("error:")
                                                             : style.Yellow("warning:");
    io.err << style.Bold(file + ":" + std::to_string(d.loc.line) + ":" +
                         std::to_string(d.loc.column) + ":")
           << " " << label << " " << d.message << "\n";
  }
}

}  // namespace

int RunImport(const ImportArgs& args, const Output& io) {
  ImportOptions options;
  options.name = args.name ? *args.name : NameFromPath(args.csv);
  if (!IsRunbookName(options.name)) {
    io.err << "tminus import: --name '" << options.name
           << "' is not a runbook name: lower-case letters, digits and '-', starting with a "
              "letter or digit\n";
    return kExitUsage;
  }
  if (args.t0) {
    std::string error;
    options.t0 = ParseT0(*args.t0, &error);
    if (!options.t0) {
      io.err << "tminus import: " << error << "\n";
      return kExitUsage;
    }
  }
  struct stat st {};
  if (args.output && !args.force && stat(args.output->c_str(), &st) == 0) {
    io.err << "tminus import: '" << *args.output
           << "' already exists; pass --force to overwrite it\n";
    return kExitUsage;
  }
  std::string bytes, error;
  if (!ReadFile(args.csv, &bytes, &error)) {
    io.err << "tminus import: cannot read '" << args.csv << "': " << error << "\n";
    return kExitUsage;
  }
  options.source = args.csv.substr(args.csv.find_last_of('/') + 1);

  ImportResult result = ImportTaskCsv(bytes, options);
  PrintImportDiagnostics(args.csv, result.diagnostics, io);
  if (!result.runbook) {
    const int errors = result.diagnostics.error_count();
    io.err << "tminus import: " << args.csv << ": " << errors << " error"
           << (errors == 1 ? "" : "s") << "; nothing written\n";
    return kExitInvalid;
  }
  const std::string yaml = WriteSkeletonYaml(*result.runbook);

  // The skeleton must be a valid runbook; check it with the loader and validator that
  // every other command uses.
  Diagnostics check;
  const Runbook loaded = LoadRunbook(yaml, &check);
  ValidateRunbook(loaded, ValidateOptions{}, &check);
  if (check.has_errors()) {
    for (const Diagnostic& d : check.all()) {
      io.err << "tminus import: the runbook made from " << args.csv << " is not valid at line "
             << d.loc.line << ": " << d.message << "\n";
    }
    return kExitInvalid;
  }

  if (args.output) {
    if (!WriteFileAtomically(*args.output, yaml, &error)) {
      io.err << "tminus import: cannot write '" << *args.output << "': " << error << "\n";
      return kExitUsage;
    }
  } else {
    io.out << yaml;
    io.out.flush();
  }
  const int warnings = result.diagnostics.warning_count();
  io.err << "tminus import: " << args.csv << ": " << result.runbook->steps.size() << " steps, "
         << result.runbook->roles.size() << " roles";
  if (args.output) io.err << " written to " << *args.output;
  if (warnings > 0) io.err << ", " << warnings << " warning" << (warnings == 1 ? "" : "s");
  io.err << "\n";
  return kExitOk;
}

}  // namespace tminus::cli
