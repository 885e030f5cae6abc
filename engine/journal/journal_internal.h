// Pieces shared by the journal writer (sqlite_journal.cc) and the verifier (verify.cc): the
// on-disk format, the read-only reader and the per-record chain check. Not part of the
// journal's interface; nothing outside engine/journal includes this.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sqlite3.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/journal/journal.h"

namespace tminus::journal_internal {

// meta('format') and meta('version') in every journal file.
inline constexpr char kFormatName[] = "tminus-journal";
inline constexpr int kFormatVersion = 1;

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// A status for SQLite result code `rc` (the primary code decides the status code) with
// `message` as its text.
absl::Status SqliteStatus(int rc, std::string message);

// The records of a journal file as stored, in seq order. A row whose columns have the wrong
// storage class (wall_ms not an integer, text stored as a blob or NULL) is still returned,
// converted; the first such row is noted so the chain check can report it.
struct StoredJournal {
  std::vector<JournalRecord> records;
  size_t first_malformed = SIZE_MAX;  // index into records
  std::string malformed_problem;
};

// Checks that `db` is a tminus journal this build can read and reads every record. Error
// messages carry no path prefix.
absl::StatusOr<StoredJournal> ReadStored(sqlite3* db);

// Reads the journal file at `path` on a connection of its own that may only read (query_only).
// When the file is writable the connection is read-write at the storage level, so that
// closing it, as the last connection, removes the -wal and -shm files as the writer does
// rather than leaving them beside the evidence (a cleanly closed journal's bytes do not
// change). Otherwise it is read-only, and immutable when even the -shm file cannot be
// created (read-only media). Errors carry no path prefix.
absl::StatusOr<StoredJournal> ReadFile(const std::string& path);

// RecordHash without building a JournalRecord.
std::string HashFields(std::string_view previous_hash, int64_t seq, int64_t wall_ms,
                       std::string_view actor, std::string_view type, std::string_view payload);

struct RecordProblem {
  int64_t seq = 0;  // the first record that does not verify
  std::string problem;
};

// Checks record `index` of `journal` against its position (seq == index + 1), its storage
// classes and its hash (chained to the record before it).
std::optional<RecordProblem> CheckLink(const StoredJournal& journal, size_t index);

}  // namespace tminus::journal_internal
