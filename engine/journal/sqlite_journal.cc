// The journal in one SQLite file: WAL mode, synchronous=FULL, one row per record, prepared
// statements reused for every append, group commit in one open transaction.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <sqlite3.h>
#include <unistd.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/base/status.h"
#include "engine/journal/journal.h"
#include "engine/journal/journal_internal.h"

namespace tminus {
namespace journal_internal {

absl::Status SqliteStatus(int rc, std::string message) {
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(std::move(message));
    case SQLITE_IOERR:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(std::move(message));
    case SQLITE_CANTOPEN:
      return absl::NotFoundError(std::move(message));
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return absl::PermissionDeniedError(std::move(message));
    default:
      return absl::InternalError(std::move(message));
  }
}

namespace {

absl::Status Prepare(sqlite3* db, const char* sql, StmtPtr* stmt) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  stmt->reset(raw);
  if (rc != SQLITE_OK) return SqliteStatus(rc, sqlite3_errmsg(db));
  return absl::OkStatus();
}

// Column `col` of the current row as bytes (NULL reads as "").
std::string ColumnText(sqlite3_stmt* stmt, int col) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
  if (text == nullptr) return "";
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt, col)));
}

// A problem with the storage class of column `col`, or "" when it is as written.
std::string StorageProblem(sqlite3_stmt* stmt, int col, const char* name, int want) {
  const int got = sqlite3_column_type(stmt, col);
  if (got == want) return "";
  const char* kind = got == SQLITE_NULL      ? "NULL"
                     : got == SQLITE_INTEGER ? "an integer"
                     : got == SQLITE_FLOAT   ? "a real number"
                     : got == SQLITE_BLOB    ? "a blob"
                                             : "text";
  return std::string(name) + " is " + kind + ", not " +
         (want == SQLITE_INTEGER ? "an integer" : "text");
}

// The value of meta(key), or nullopt when absent.
absl::StatusOr<std::optional<std::string>> MetaValue(sqlite3* db, const char* key) {
  StmtPtr stmt;
  TM_RETURN_IF_ERROR(Prepare(db, "SELECT value FROM meta WHERE key = ?1", &stmt));
  sqlite3_bind_text(stmt.get(), 1, key, -1, SQLITE_STATIC);
  const int rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_ROW) return std::optional<std::string>(ColumnText(stmt.get(), 0));
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  return SqliteStatus(rc, sqlite3_errmsg(db));
}

// Whether the file holds the journal's tables. Any other content (tables of some other
// program, a file that is not a database) is an error.
absl::StatusOr<bool> HasJournalTables(sqlite3* db) {
  StmtPtr stmt;
  TM_RETURN_IF_ERROR(
      Prepare(db, "SELECT count(*), total(name IN ('meta', 'records')) FROM sqlite_master", &stmt));
  const int rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_ROW) return SqliteStatus(rc, sqlite3_errmsg(db));
  const int64_t all = sqlite3_column_int64(stmt.get(), 0);
  const int64_t ours = sqlite3_column_int64(stmt.get(), 1);
  if (all == 0) return false;
  if (ours != 2) {
    return absl::FailedPreconditionError(
        "not a tminus journal (the database has no journal tables)");
  }
  return true;
}

absl::Status CheckFormat(sqlite3* db) {
  TM_ASSIGN_OR_RETURN(const bool has_tables, HasJournalTables(db));
  if (!has_tables) {
    return absl::FailedPreconditionError("not a tminus journal (the database is empty)");
  }
  TM_ASSIGN_OR_RETURN(const std::optional<std::string> format, MetaValue(db, "format"));
  if (format != kFormatName) {
    return absl::FailedPreconditionError("not a tminus journal (its meta table names format '" +
                                         format.value_or("") + "')");
  }
  TM_ASSIGN_OR_RETURN(const std::optional<std::string> version, MetaValue(db, "version"));
  if (version != std::to_string(kFormatVersion)) {
    return absl::FailedPreconditionError(
        "journal format version '" + version.value_or("") + "' is not one this tminus reads (" +
        std::to_string(kFormatVersion) + "); use the tminus that wrote it");
  }
  return absl::OkStatus();
}

bool FileExists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

}  // namespace

absl::StatusOr<StoredJournal> ReadFile(const std::string& path) {
  if (!FileExists(path)) return absl::NotFoundError("no such file");
  const auto read = [](const std::string& name, int flags) -> absl::StatusOr<StoredJournal> {
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(name.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    DbPtr db(raw);
    if (rc != SQLITE_OK) {
      return SqliteStatus(rc, raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
    }
    rc = sqlite3_exec(db.get(), "PRAGMA query_only = ON", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteStatus(rc, sqlite3_errmsg(db.get()));
    return ReadStored(db.get());
  };
  if (access(path.c_str(), W_OK) == 0) return read(path, SQLITE_OPEN_READWRITE);
  absl::StatusOr<StoredJournal> stored = read(path, SQLITE_OPEN_READONLY);
  // SQLITE_CANTOPEN for a file that exists: the -shm file cannot be created beside it.
  if (stored.ok() || stored.status().code() != absl::StatusCode::kNotFound) return stored;
  char* uri = sqlite3_mprintf("file:%q?immutable=1", path.c_str());
  const std::string name = uri != nullptr ? uri : "";
  sqlite3_free(uri);
  return read(name, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
}

absl::StatusOr<StoredJournal> ReadStored(sqlite3* db) {
  TM_RETURN_IF_ERROR(CheckFormat(db));
  StmtPtr stmt;
  TM_RETURN_IF_ERROR(Prepare(
      db, "SELECT seq, wall_ms, actor, type, payload, hash FROM records ORDER BY seq", &stmt));
  StoredJournal journal;
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    sqlite3_stmt* row = stmt.get();
    // Storage classes first: reading a column as text or as an integer converts it in place.
    if (journal.first_malformed == SIZE_MAX) {
      static constexpr struct {
        const char* name;
        int type;
      } kColumns[] = {{"wall_ms", SQLITE_INTEGER},
                      {"actor", SQLITE_TEXT},
                      {"type", SQLITE_TEXT},
                      {"payload", SQLITE_TEXT},
                      {"hash", SQLITE_TEXT}};
      for (int col = 1; col <= 5; ++col) {
        std::string problem =
            StorageProblem(row, col, kColumns[col - 1].name, kColumns[col - 1].type);
        if (problem.empty()) continue;
        journal.first_malformed = journal.records.size();
        journal.malformed_problem = std::move(problem);
        break;
      }
    }
    JournalRecord record;
    record.seq = sqlite3_column_int64(row, 0);
    record.wall_ms = sqlite3_column_int64(row, 1);
    record.actor = ColumnText(row, 2);
    record.type = ColumnText(row, 3);
    record.payload = ColumnText(row, 4);
    record.hash = ColumnText(row, 5);
    journal.records.push_back(std::move(record));
  }
  if (rc != SQLITE_DONE) return SqliteStatus(rc, sqlite3_errmsg(db));
  return journal;
}

}  // namespace journal_internal

namespace {

using journal_internal::DbPtr;
using journal_internal::SqliteStatus;
using journal_internal::StmtPtr;

absl::Status Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return absl::OkStatus();
  std::string message = error != nullptr ? error : sqlite3_errmsg(db);
  sqlite3_free(error);
  return SqliteStatus(rc, std::move(message));
}

// Runs a pragma that answers with one value and returns that value.
absl::StatusOr<std::string> Pragma(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return SqliteStatus(rc, sqlite3_errmsg(db));
  rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_DONE) return std::string();
  if (rc != SQLITE_ROW) return SqliteStatus(rc, sqlite3_errmsg(db));
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
  return std::string(text != nullptr ? text : "");
}

constexpr char kSchema[] = R"sql(
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
  seq INTEGER PRIMARY KEY,
  wall_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  hash TEXT NOT NULL);
INSERT OR IGNORE INTO meta (key, value) VALUES ('format', 'tminus-journal'), ('version', '1');
COMMIT;
)sql";

class SqliteJournal final : public Journal {
 public:
  static absl::StatusOr<std::unique_ptr<Journal>> Open(const std::string& path,
                                                       const JournalOptions& options, bool create);
  ~SqliteJournal() override;

  absl::StatusOr<int64_t> Append(int64_t wall_ms, const std::string& actor, const std::string& type,
                                 const std::string& payload, Durability durability) override;
  absl::Status Flush() override;
  const std::string& head() const override { return head_; }
  int64_t last_seq() const override { return last_seq_; }

 private:
  SqliteJournal(std::string path, JournalOptions options, DbPtr db)
      : path_(std::move(path)), options_(options), db_(std::move(db)) {}

  // "journal <path>: <what>".
  std::string Where(const std::string& what) const { return "journal " + path_ + ": " + what; }
  absl::Status SetUp();
  absl::Status Commit();
  // Records the failure of the statement that returned `rc`: rolls back the open
  // transaction (so nothing of the pending group is kept), forgets the pending records and
  // poisons the journal. `cause` is SQLite's message for `rc`, taken before anything else
  // ran on the connection. Returns the failure.
  absl::Status Fail(int rc, const char* cause);

  const std::string path_;
  const JournalOptions options_;
  DbPtr db_;
  StmtPtr insert_;
  StmtPtr begin_;
  StmtPtr commit_;
  StmtPtr rollback_;
  bool in_transaction_ = false;
  int pending_ = 0;
  std::string head_;
  int64_t last_seq_ = 0;
  // The head and seq of the last committed record, to fall back to when a group fails.
  std::string committed_head_;
  int64_t committed_seq_ = 0;
  // OK until the first failure; from then on every Append and Flush returns it.
  absl::Status failure_;
};

absl::StatusOr<std::unique_ptr<Journal>> SqliteJournal::Open(const std::string& path,
                                                             const JournalOptions& options,
                                                             bool create) {
  const auto where = [&](const std::string& what) { return "journal " + path + ": " + what; };
  if (options.group_max_records < 1) {
    return absl::InvalidArgumentError(where("group_max_records must be at least 1, not " +
                                            std::to_string(options.group_max_records)));
  }
  if (options.max_pages < 0) {
    return absl::InvalidArgumentError(where("max_pages must not be negative"));
  }
  const bool exists = journal_internal::FileExists(path);
  if (!create && !exists) return absl::NotFoundError(where("no such file"));

  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (create) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, where(raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }

  std::unique_ptr<SqliteJournal> journal(new SqliteJournal(path, options, std::move(db)));
  sqlite3* handle = journal->db_.get();
  if (create) {
    // An existing file may be reused only when it is an empty file or a journal without
    // records (a run that failed before its first record).
    absl::StatusOr<bool> has_tables = journal_internal::HasJournalTables(handle);
    if (!has_tables.ok()) {
      return absl::Status(
          has_tables.status().code(),
          where("cannot create a journal here: " + std::string(has_tables.status().message())));
    }
    if (*has_tables) {
      absl::StatusOr<journal_internal::StoredJournal> stored = journal_internal::ReadStored(handle);
      if (!stored.ok()) {
        return absl::Status(stored.status().code(), where(std::string(stored.status().message())));
      }
      if (!stored->records.empty()) {
        return absl::AlreadyExistsError(
            where("already holds " + std::to_string(stored->records.size()) +
                  " records; resume that run or choose a new journal file"));
      }
    }
  } else {
    absl::StatusOr<journal_internal::StoredJournal> stored = journal_internal::ReadStored(handle);
    if (!stored.ok()) {
      return absl::Status(stored.status().code(), where(std::string(stored.status().message())));
    }
    for (size_t i = 0; i < stored->records.size(); ++i) {
      if (auto problem = journal_internal::CheckLink(*stored, i)) {
        return absl::DataLossError(where("the chain is broken at record " +
                                         std::to_string(problem->seq) + ": " + problem->problem +
                                         "; run 'tminus audit verify' on it"));
      }
    }
    if (!stored->records.empty()) {
      const JournalRecord& last = stored->records.back();
      if (last.type == "run_ended") {
        return absl::FailedPreconditionError(
            where("the run has ended (record " + std::to_string(last.seq) +
                  " is run_ended); nothing may be appended after it"));
      }
      journal->head_ = journal->committed_head_ = last.hash;
      journal->last_seq_ = journal->committed_seq_ = last.seq;
    }
  }
  absl::Status status = journal->SetUp();
  if (!status.ok()) return absl::Status(status.code(), where(std::string(status.message())));
  return std::unique_ptr<Journal>(std::move(journal));
}

absl::Status SqliteJournal::SetUp() {
  sqlite3* db = db_.get();
  TM_ASSIGN_OR_RETURN(const std::string mode, Pragma(db, "PRAGMA journal_mode = WAL"));
  if (mode != "wal") {
    return absl::FailedPreconditionError("cannot switch to WAL mode (journal_mode is '" + mode +
                                         "')");
  }
  TM_RETURN_IF_ERROR(Pragma(db, "PRAGMA synchronous = FULL").status());
  if (options_.max_pages > 0) {
    TM_RETURN_IF_ERROR(
        Pragma(db, "PRAGMA max_page_count = " + std::to_string(options_.max_pages)).status());
  }
  TM_RETURN_IF_ERROR(Exec(db, kSchema));
  TM_RETURN_IF_ERROR(
      journal_internal::Prepare(db,
                                "INSERT INTO records (seq, wall_ms, actor, type, payload, hash) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                &insert_));
  TM_RETURN_IF_ERROR(journal_internal::Prepare(db, "BEGIN IMMEDIATE", &begin_));
  TM_RETURN_IF_ERROR(journal_internal::Prepare(db, "COMMIT", &commit_));
  TM_RETURN_IF_ERROR(journal_internal::Prepare(db, "ROLLBACK", &rollback_));
  return absl::OkStatus();
}

SqliteJournal::~SqliteJournal() {
  // A failed flush here has no one to tell; the run saw every earlier failure already,
  // and the records kept are a verifiable prefix either way.
  if (in_transaction_ && failure_.ok()) Commit().IgnoreError();
}

absl::StatusOr<int64_t> SqliteJournal::Append(int64_t wall_ms, const std::string& actor,
                                              const std::string& type, const std::string& payload,
                                              Durability durability) {
  if (!failure_.ok()) return failure_;
  if (!in_transaction_) {
    const int rc = sqlite3_step(begin_.get());
    const std::string cause = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db_.get());
    sqlite3_reset(begin_.get());
    if (rc != SQLITE_DONE) return Fail(rc, cause.c_str());
    in_transaction_ = true;
  }
  const int64_t seq = last_seq_ + 1;
  std::string hash = journal_internal::HashFields(head_, seq, wall_ms, actor, type, payload);
  sqlite3_stmt* insert = insert_.get();
  sqlite3_bind_int64(insert, 1, seq);
  sqlite3_bind_int64(insert, 2, wall_ms);
  sqlite3_bind_text64(insert, 3, actor.data(), actor.size(), SQLITE_STATIC, SQLITE_UTF8);
  sqlite3_bind_text64(insert, 4, type.data(), type.size(), SQLITE_STATIC, SQLITE_UTF8);
  sqlite3_bind_text64(insert, 5, payload.data(), payload.size(), SQLITE_STATIC, SQLITE_UTF8);
  sqlite3_bind_text64(insert, 6, hash.data(), hash.size(), SQLITE_STATIC, SQLITE_UTF8);
  const int rc = sqlite3_step(insert);
  const std::string cause = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db_.get());
  sqlite3_reset(insert);
  sqlite3_clear_bindings(insert);
  if (rc != SQLITE_DONE) return Fail(rc, cause.c_str());
  last_seq_ = seq;
  head_ = std::move(hash);
  ++pending_;
  if (durability == Durability::kSync || pending_ >= options_.group_max_records) {
    TM_RETURN_IF_ERROR(Commit());
  }
  return seq;
}

absl::Status SqliteJournal::Flush() {
  if (!failure_.ok()) return failure_;
  if (!in_transaction_) return absl::OkStatus();
  return Commit();
}

absl::Status SqliteJournal::Commit() {
  const int rc = sqlite3_step(commit_.get());
  const std::string cause = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db_.get());
  sqlite3_reset(commit_.get());
  if (rc != SQLITE_DONE) return Fail(rc, cause.c_str());
  in_transaction_ = false;
  pending_ = 0;
  committed_head_ = head_;
  committed_seq_ = last_seq_;
  return absl::OkStatus();
}

absl::Status SqliteJournal::Fail(int rc, const char* cause) {
  failure_ = SqliteStatus(rc, Where(cause));
  if (sqlite3_get_autocommit(db_.get()) == 0) {
    sqlite3_step(rollback_.get());
    sqlite3_reset(rollback_.get());
  }
  in_transaction_ = false;
  pending_ = 0;
  head_ = committed_head_;
  last_seq_ = committed_seq_;
  return failure_;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Journal>> Journal::Create(const std::string& path,
                                                         const JournalOptions& options) {
  return SqliteJournal::Open(path, options, /*create=*/true);
}

absl::StatusOr<std::unique_ptr<Journal>> Journal::OpenForAppend(const std::string& path,
                                                                const JournalOptions& options) {
  return SqliteJournal::Open(path, options, /*create=*/false);
}

absl::StatusOr<std::vector<JournalRecord>> ReadJournal(const std::string& path) {
  const auto where = [&](const absl::Status& status) {
    return absl::Status(status.code(), "journal " + path + ": " + std::string(status.message()));
  };
  absl::StatusOr<journal_internal::StoredJournal> stored = journal_internal::ReadFile(path);
  if (!stored.ok()) return where(stored.status());
  return std::move(stored->records);
}

}  // namespace tminus
