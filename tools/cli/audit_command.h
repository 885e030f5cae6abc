// `tminus audit verify` and `tminus audit export`: the journal as evidence. Verify checks the
// hash chain and prints the head a change manager pastes into the ticket; export writes the
// records as JSON Lines or CSV for the people who read audits in other tools.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/interchange/csv.h"
#include "tools/cli/commands.h"

namespace tminus::cli {

struct AuditVerifyArgs {
  std::string journal;
  // The head recorded earlier (in the change ticket); verification fails when it differs.
  std::optional<std::string> expect_head;
};
// 0 when the chain is intact (and the head is as expected), 4 (kExitAuditFailed) when it is
// not, 2 when the file cannot be read at all.
int RunAuditVerify(const AuditVerifyArgs& args, const Output& io);

struct AuditExportArgs {
  std::string journal;
  std::string format = "jsonl";  // "jsonl" or "csv"
};
// Writes every record to io.out. 0 on success, 2 for an unknown format or an unreadable
// journal. Export does not verify: run `audit verify` for that.
int RunAuditExport(const AuditExportArgs& args, const Output& io);

// ISO 8601 UTC with milliseconds, e.g. "2024-05-01T22:00:00.123Z".
std::string FormatUtcMillis(int64_t wall_ms);
// One CSV field, quoted per RFC 4180 (shared with the plan's spreadsheet export).
using ::tminus::CsvField;

}  // namespace tminus::cli
