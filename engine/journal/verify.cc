// Verification of a journal file: the chain (seqs, storage classes, hashes) and the run's
// frame (run_started with its runbook first, run_ended with the chain head last).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "engine/journal/journal.h"
#include "engine/journal/journal_internal.h"

namespace tminus {
namespace journal_internal {
namespace {

std::string Short(const std::string& hash) {
  constexpr size_t kShown = 16;
  return hash.size() <= kShown ? hash : hash.substr(0, kShown) + "...";
}

}  // namespace

std::optional<RecordProblem> CheckLink(const StoredJournal& journal, size_t index) {
  const JournalRecord& record = journal.records[index];
  const int64_t want_seq = static_cast<int64_t>(index) + 1;
  if (record.seq != want_seq) {
    // Rows come in seq order, so a seq above its position means records are missing; one
    // below it (0 or negative) sorted before record 1.
    if (record.seq > want_seq) {
      const std::string before =
          index == 0 ? "the first record" : "record " + std::to_string(want_seq - 1);
      return RecordProblem{want_seq, "record " + std::to_string(want_seq) +
                                         " is missing: " + before + " is followed by record " +
                                         std::to_string(record.seq)};
    }
    return RecordProblem{want_seq, "found a record numbered " + std::to_string(record.seq) +
                                       " where record " + std::to_string(want_seq) + " should be"};
  }
  if (index == journal.first_malformed) {
    return RecordProblem{record.seq, "record " + std::to_string(record.seq) +
                                         " was altered: " + journal.malformed_problem};
  }
  const std::string& previous = index == 0 ? std::string() : journal.records[index - 1].hash;
  const std::string computed = RecordHash(previous, record);
  if (record.hash != computed) {
    return RecordProblem{record.seq, "record " + std::to_string(record.seq) +
                                         " was altered: its stored hash " + Short(record.hash) +
                                         " does not match its contents and the hash before it (" +
                                         Short(computed) + ")"};
  }
  return std::nullopt;
}

}  // namespace journal_internal

namespace {

using journal_internal::RecordProblem;
using Json = nlohmann::json;

// The payload as a JSON object, or nullopt when it is not one.
std::optional<Json> PayloadObject(const JournalRecord& record) {
  Json json = Json::parse(record.payload, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  return json;
}

// The string member `key` of `object`, or nullopt.
std::optional<std::string> StringMember(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<RecordProblem> CheckRunStarted(const JournalRecord& record) {
  const auto bad = [&](const std::string& what) {
    return RecordProblem{record.seq, "record " + std::to_string(record.seq) + what};
  };
  if (record.type != "run_started") {
    return bad(" is '" + record.type + "', but a journal starts with run_started");
  }
  std::optional<Json> payload = PayloadObject(record);
  if (!payload) return bad(": the run_started payload is not a JSON object");
  std::optional<std::string> text = StringMember(*payload, "runbook_text");
  if (!text) return bad(": run_started has no runbook_text string");
  std::optional<std::string> stated = StringMember(*payload, "runbook_sha256");
  if (!stated) return bad(": run_started has no runbook_sha256 string");
  const std::string actual = Sha256Hex(*text);
  if (*stated != actual) {
    return bad(": the runbook text does not match its runbook_sha256 (stated " + *stated +
               ", the text hashes to " + actual + ")");
  }
  return std::nullopt;
}

std::optional<RecordProblem> CheckRunEnded(const JournalRecord& record,
                                           const JournalRecord& before) {
  const auto bad = [&](const std::string& what) {
    return RecordProblem{record.seq, "record " + std::to_string(record.seq) + what};
  };
  std::optional<Json> payload = PayloadObject(record);
  if (!payload) return bad(": the run_ended payload is not a JSON object");
  std::optional<std::string> chain_head = StringMember(*payload, "chain_head");
  if (!chain_head) return bad(": run_ended has no chain_head string");
  if (*chain_head != before.hash) {
    return bad(": run_ended states chain_head " + *chain_head + ", but the hash of record " +
               std::to_string(before.seq) + " is " + before.hash);
  }
  return std::nullopt;
}

std::string NormalizedHash(const std::string& text) {
  std::string hash;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    hash.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return hash;
}

VerifyResult Failed(VerifyResult result, const RecordProblem& problem) {
  result.ok = false;
  result.first_bad_seq = problem.seq;
  result.problem = problem.problem;
  return result;
}

// The checks of VerifyJournal on records already read.
VerifyResult VerifyStored(const journal_internal::StoredJournal& stored,
                          const std::optional<std::string>& expect_head, RunEnd run_end) {
  VerifyResult result;
  const std::vector<JournalRecord>& records = stored.records;
  result.records = static_cast<int64_t>(records.size());
  if (records.empty()) {
    return Failed(result, {1,
                           "the journal has no records: the run never started, or "
                           "everything was cut"});
  }
  result.head = records.back().hash;

  // One pass in seq order, so the problem reported is the first one in the file.
  for (size_t i = 0; i < records.size(); ++i) {
    const JournalRecord& record = records[i];
    if (auto problem = journal_internal::CheckLink(stored, i)) return Failed(result, *problem);
    if (i == 0) {
      if (auto problem = CheckRunStarted(record)) return Failed(result, *problem);
    } else if (record.type == "run_started") {
      return Failed(result, {record.seq,
                             "record " + std::to_string(record.seq) + " is a second run_started"});
    }
    if (i > 0 && records[i - 1].type == "run_ended") {
      return Failed(result, {record.seq, "record " + std::to_string(record.seq) +
                                             " follows run_ended (record " +
                                             std::to_string(records[i - 1].seq) +
                                             "): nothing may be written after the run ended"});
    }
  }
  const JournalRecord& last = records.back();
  if (last.type != "run_ended") {
    if (run_end == RunEnd::kRequired) {
      return Failed(result,
                    {last.seq + 1, "the journal ends at record " + std::to_string(last.seq) +
                                       " without run_ended: the run is still going, or "
                                       "its tail was cut"});
    }
  } else if (auto problem = CheckRunEnded(last, records[records.size() - 2])) {
    // records.size() >= 2 here: record 1 is run_started.
    return Failed(result, *problem);
  }

  if (expect_head) {
    const std::string expected = NormalizedHash(*expect_head);
    if (expected != result.head) {
      auto earlier = std::find_if(records.begin(), records.end() - 1,
                                  [&](const JournalRecord& r) { return r.hash == expected; });
      if (earlier != records.end() - 1) {
        return Failed(result, {earlier->seq + 1, "the expected head is the hash of record " +
                                                     std::to_string(earlier->seq) +
                                                     ", but the journal goes on to "
                                                     "record " +
                                                     std::to_string(last.seq)});
      }
      return Failed(result,
                    {0, "the final hash " + result.head + " is not the expected head " + expected +
                            ": this is not the journal that was signed off, or it was "
                            "rewritten"});
    }
  }
  result.ok = true;
  return result;
}

}  // namespace

VerifyResult VerifyJournal(const std::string& path, const std::optional<std::string>& expect_head,
                           RunEnd run_end) {
  absl::StatusOr<journal_internal::StoredJournal> stored = journal_internal::ReadFile(path);
  if (!stored.ok()) return Failed(VerifyResult{}, {0, std::string(stored.status().message())});
  return VerifyStored(*stored, expect_head, run_end);
}

absl::StatusOr<VerifiedJournal> ReadAndVerifyJournal(const std::string& path, RunEnd run_end) {
  absl::StatusOr<journal_internal::StoredJournal> stored = journal_internal::ReadFile(path);
  if (!stored.ok()) {
    return absl::Status(stored.status().code(), "journal " + path + ": " + std::string(stored.status().message()));
  }
  VerifiedJournal journal;
  journal.verify = VerifyStored(*stored, std::nullopt, run_end);
  journal.records = std::move(stored->records);
  return journal;
}

}  // namespace tminus
