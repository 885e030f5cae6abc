// The journal: an append-only, hash-chained event log in one SQLite file (WAL mode). It is
// the run's source of truth and its audit trail. Records are opaque here: a type name and
// a JSON payload chosen by the run engine.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tminus {

struct JournalRecord {
  int64_t seq = 0;      // 1, 2, 3, ... with no gaps
  int64_t wall_ms = 0;  // wall-clock time of the event, ms since the Unix epoch
  std::string actor;    // who caused it: "engine", a person, "operator:alice", ...
  std::string type;     // "run_started", "step", "dispatch", ...
  std::string payload;  // canonical JSON text
  std::string hash;     // hex SHA-256 over the previous hash and this record's fields
};

enum class Durability {
  kGroup,  // may be committed with later records (group commit)
  kSync,   // on disk (committed and synced) before Append returns
};

struct JournalOptions {
  // Group commit: pending records are committed when this many are waiting...
  int group_max_records = 512;
  // ...or when Flush() is called (the engine flushes when it goes idle).
  // SQLite's max_page_count, to bound the file size (0: no bound); tests use it to run out
  // of space for real.
  int64_t max_pages = 0;
};

class Journal {
 public:
  // Creates a new journal file; fails if `path` exists and holds records.
  static absl::StatusOr<std::unique_ptr<Journal>> Create(const std::string& path,
                                                         const JournalOptions& options = {});
  // Opens an existing journal to append to it (resume), after checking its chain.
  static absl::StatusOr<std::unique_ptr<Journal>> OpenForAppend(const std::string& path,
                                                                const JournalOptions& options = {});
  virtual ~Journal() = default;

  // Appends a record and returns its seq. With kSync the record (and every earlier one) is
  // durable on return. After any failure (disk full, I/O error) the journal refuses every
  // later append with the same error: a run never carries on past a lost record.
  virtual absl::StatusOr<int64_t> Append(int64_t wall_ms, const std::string& actor,
                                         const std::string& type, const std::string& payload,
                                         Durability durability) = 0;
  // Commits and syncs every pending record.
  virtual absl::Status Flush() = 0;
  // Hash of the last appended record ("" before the first).
  virtual const std::string& head() const = 0;
  virtual int64_t last_seq() const = 0;
};

// Reads every record in order (no verification). For replay and export.
absl::StatusOr<std::vector<JournalRecord>> ReadJournal(const std::string& path);

struct VerifyResult {
  bool ok = false;
  int64_t records = 0;
  std::string head;        // hash of the last record
  int64_t first_bad_seq = 0;  // when !ok: the first record that does not verify (0: file-level)
  std::string problem;     // when !ok: what is wrong, for people
};

// Whether the journal must hold a finished run (an audit) or may stop anywhere after its
// first record (a run to resume after a coordinator stop).
enum class RunEnd { kRequired, kOptional };

// Checks the whole chain: seqs 1..N without gaps, every hash, the first record is
// run_started with the runbook text whose SHA-256 it states, the last is run_ended whose
// payload's "chain_head" is the hash of the record before it (with RunEnd::kOptional, only
// when the last record is run_ended), and (when given) that the final hash equals
// `expect_head`.
VerifyResult VerifyJournal(const std::string& path,
                           const std::optional<std::string>& expect_head = std::nullopt,
                           RunEnd run_end = RunEnd::kRequired);

// Every record and the verdict on its chain, from one read of the file: ReadJournal and
// VerifyJournal(path, std::nullopt, run_end) together, for a caller that needs both.
struct VerifiedJournal {
  std::vector<JournalRecord> records;
  VerifyResult verify;
};
absl::StatusOr<VerifiedJournal> ReadAndVerifyJournal(const std::string& path, RunEnd run_end);

// The hash of a record given the previous record's hash ("" for the first): the hex SHA-256
// of the previous hash, seq, wall_ms, actor, type and payload, each text field as an 8-byte
// big-endian length and its bytes, each number as 8 bytes big-endian (two's complement).
// The record's own `hash` field is not an input.
std::string RecordHash(const std::string& previous_hash, const JournalRecord& record);
// Hex SHA-256 of arbitrary bytes.
std::string Sha256Hex(const std::string& bytes);

}  // namespace tminus
