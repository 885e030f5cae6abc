#include "bench/journal_span.h"

#include <nlohmann/json.hpp>

#include "engine/journal/journal.h"

namespace tminus::bench {

RunSpan ReadRunSpan(const std::string& journal_path) {
  RunSpan span;
  auto records = ReadJournal(journal_path);
  if (!records.ok()) {
    span.error = std::string(records.status().message());
    return span;
  }
  span.records = static_cast<int>(records->size());
  for (const JournalRecord& record : *records) {
    if (record.type == "run_started") {
      span.started_ms = record.wall_ms;
    } else if (record.type == "run_ended") {
      span.ended_ms = record.wall_ms;
      span.end_state = nlohmann::json::parse(record.payload).value("state", "");
    } else if (record.type == "result") {
      const nlohmann::json payload = nlohmann::json::parse(record.payload);
      const bool ok = payload.value("ok", false) && !payload.value("late", false);
      ++(ok ? span.results_ok : span.results_failed);
      if (!ok && span.first_failure.empty()) {
        span.first_failure =
            payload.value("step", "?") + ": " + payload.value("error", std::string("(no error)"));
      }
    }
  }
  return span;
}

}  // namespace tminus::bench
