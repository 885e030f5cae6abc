#include "tools/cli/audit_command.h"

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/journal/journal.h"
#include "tools/cli/terminal.h"

namespace tminus::cli {
namespace {

using Json = nlohmann::ordered_json;

// Dumps without throwing on bytes that are not UTF-8 (a tampered record may hold any).
std::string Dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Why `path` cannot be read at all, or "" when it can be opened for reading.
std::string Unreadable(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) return "no such file";
  if (std::filesystem::is_directory(status)) return "is a directory, not a journal file";
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot be opened for reading";
  return "";
}

// The payload as JSON, or its text when it does not parse (export shows what is stored).
Json PayloadJson(const JournalRecord& record, bool* parsed) {
  Json json = Json::parse(record.payload, nullptr, /*allow_exceptions=*/false);
  *parsed = !json.is_discarded();
  if (!*parsed) return Json(record.payload);
  return json;
}

}  // namespace

std::string FormatUtcMillis(int64_t wall_ms) {
  int64_t seconds = wall_ms / 1000;
  int64_t millis = wall_ms % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(wall_ms) + "ms";
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return buffer;
}

int RunAuditVerify(const AuditVerifyArgs& args, const Output& io) {
  Style err;
  err.color = io.color_err;
  Style out;
  out.color = io.color_out;
  const std::string name = "journal " + args.journal;
  if (std::string why = Unreadable(args.journal); !why.empty()) {
    io.err << name << ": " << why << "\n";
    return kExitUsage;
  }
  const VerifyResult result = VerifyJournal(args.journal, args.expect_head);
  if (!result.ok) {
    io.err << name << ": " << err.Red("verification FAILED");
    if (result.first_bad_seq > 0) io.err << " at record " << result.first_bad_seq;
    io.err << ": " << result.problem << "\n";
    return kExitAuditFailed;
  }
  io.out << name << ": " << result.records << " records, " << out.Green("chain intact");
  if (args.expect_head) io.out << ", head as expected";
  io.out << "\n";
  io.out << "head: " << result.head << "\n";
  return kExitOk;
}

int RunAuditExport(const AuditExportArgs& args, const Output& io) {
  const bool jsonl = args.format == "jsonl";
  if (!jsonl && args.format != "csv") {
    io.err << "unknown export format '" << args.format << "'; use jsonl or csv\n";
    return kExitUsage;
  }
  if (std::string why = Unreadable(args.journal); !why.empty()) {
    io.err << "journal " << args.journal << ": " << why << "\n";
    return kExitUsage;
  }
  absl::StatusOr<std::vector<JournalRecord>> records = ReadJournal(args.journal);
  if (!records.ok()) {
    io.err << records.status().message() << "\n";
    return kExitUsage;
  }
  if (!jsonl) io.out << "seq,time,actor,type,payload,hash\r\n";
  for (const JournalRecord& record : *records) {
    bool parsed = false;
    const Json payload = PayloadJson(record, &parsed);
    if (!parsed) {
      io.err << "journal " << args.journal << ": warning: the payload of record " << record.seq
             << " is not JSON; exported as a string\n";
    }
    if (jsonl) {
      Json line;
      line["seq"] = record.seq;
      line["time"] = FormatUtcMillis(record.wall_ms);
      line["wall_ms"] = record.wall_ms;
      line["actor"] = record.actor;
      line["type"] = record.type;
      line["payload"] = payload;
      line["hash"] = record.hash;
      io.out << Dump(line) << "\n";
    } else {
      io.out << record.seq << "," << FormatUtcMillis(record.wall_ms) << ","
             << CsvField(record.actor) << "," << CsvField(record.type) << ","
             << CsvField(parsed ? Dump(payload) : record.payload) << "," << CsvField(record.hash)
             << "\r\n";
    }
  }
  io.out.flush();
  if (!io.out) {
    io.err << "journal " << args.journal << ": cannot write the export\n";
    return kExitUsage;
  }
  return kExitOk;
}

}  // namespace tminus::cli
