// After the night: `tminus report` (the post-cutover report of one run) and `tminus
// compare` (two runs of the same runbook side by side), both read from journals.
#pragma once

#include <optional>
#include <string>

#include "tools/cli/commands.h"

namespace tminus::cli {

struct ReportArgs {
  std::string journal;
  std::optional<std::string> html;      // write the HTML report here
  std::optional<std::string> markdown;  // write the Markdown report here
};
// Without a file the Markdown report goes to io.out. 0 done, 1 a journal that holds no
// readable run, 2 usage or I/O error, 4 the journal does not verify (the report is still
// written, under a warning banner).
int RunReport(const ReportArgs& args, const Output& io);

struct CompareArgs {
  std::string journal_a;
  std::string journal_b;
  std::optional<std::string> html;
  bool json = false;
};
int RunCompare(const CompareArgs& args, const Output& io);

}  // namespace tminus::cli
