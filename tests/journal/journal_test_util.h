// Helpers for the journal tests: a temporary directory, realistic runs written through the
// real journal, and direct access to the file through the sqlite3 C API (for tampering).
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>
#include <stdlib.h>

#include "engine/journal/journal.h"
#include "tests/temp_dir.h"

namespace tminus::journal_test {

// A fresh directory for one test, removed at the end.
class TempDir : public tminus::testing::TempDir {
 public:
  TempDir() : tminus::testing::TempDir("journal") {}
};

inline constexpr int64_t kT0Ms = 1714600800000;  // 2024-05-01T22:00:00Z

inline std::string RunbookText() {
  return "name: dc-exit-wave-1\n"
         "title: \"Move billing to dc2\"\n"
         "window: {start: \"2024-05-01T22:00:00Z\", end: \"T+04:00\"}\n"
         "steps:\n"
         "  - id: db-freeze\n"
         "    run: {command: [\"/opt/db/freeze\", \"--all\"]}\n"
         "  - id: go-no-go\n"
         "    gate: {approvers: [alice, bob], quorum: 2}\n";
}

inline std::string RunStartedPayload(const std::string& runbook_text) {
  nlohmann::json payload = {{"runbook_text", runbook_text},
                            {"runbook_sha256", Sha256Hex(runbook_text)},
                            {"run_id", "run-0001"}};
  return payload.dump();
}

// A distinct, realistic payload for record `seq` (no two records share one).
inline std::string StepPayload(int64_t seq) {
  nlohmann::json payload = {{"step", "wave-1-app-" + std::to_string(seq)},
                            {"state", seq % 3 == 0 ? "succeeded" : "running"},
                            {"attempt", 1 + seq % 2},
                            {"output_tail", "replicated " + std::to_string(seq * 7919) +
                                                " rows; lag 0s \"ok\", \u00e9t\u00e9"}};
  return payload.dump();
}

inline std::string RunEndedPayload(const std::string& chain_head) {
  nlohmann::json payload = {{"outcome", "succeeded"}, {"chain_head", chain_head}};
  return payload.dump();
}

// Writes a finished run of `n` records (n >= 2): run_started, n - 2 steps, run_ended. Returns
// the records as written.
inline std::vector<JournalRecord> WriteFinishedRun(const std::string& path, int n) {
  std::vector<JournalRecord> written;
  auto journal = Journal::Create(path);
  EXPECT_TRUE(journal.ok()) << journal.status();
  if (!journal.ok()) return written;
  Journal& j = **journal;
  auto add = [&](const std::string& actor, const std::string& type, const std::string& payload,
                 Durability durability) {
    const int64_t wall_ms = kT0Ms + 1000 * static_cast<int64_t>(written.size());
    auto seq = j.Append(wall_ms, actor, type, payload, durability);
    EXPECT_TRUE(seq.ok()) << seq.status();
    written.push_back({seq.value_or(0), wall_ms, actor, type, payload, j.head()});
  };
  add("engine", "run_started", RunStartedPayload(RunbookText()), Durability::kSync);
  for (int i = 2; i < n; ++i) {
    add(i % 4 == 0 ? "operator:alice" : "engine", "step", StepPayload(i), Durability::kGroup);
  }
  add("engine", "run_ended", RunEndedPayload(j.head()), Durability::kSync);
  return written;
}

// A read-write connection to a journal file, for looking at it from outside and for
// tampering with it.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
    db_.reset(db);
    EXPECT_EQ(rc, SQLITE_OK) << path << ": " << sqlite3_errstr(rc);
    Exec("PRAGMA synchronous = OFF");  // tampering needs no durability, only speed
  }

  // Runs `sql` and expects it to succeed.
  void Exec(const std::string& sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (error != nullptr ? error : "");
    sqlite3_free(error);
  }

  // The first column of the first row of `sql` as an integer (-1 on error).
  int64_t QueryInt(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_.get());
      return -1;
    }
    int64_t value = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
  }

  int64_t Count() { return QueryInt("SELECT count(*) FROM records"); }

  // Writes one record with the given fields (hash as given), replacing any with its seq.
  void Put(const JournalRecord& r) {
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db_.get(),
                                 "INSERT OR REPLACE INTO records "
                                 "(seq, wall_ms, actor, type, payload, hash) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                 -1, &stmt, nullptr),
              SQLITE_OK);
    sqlite3_bind_int64(stmt, 1, r.seq);
    sqlite3_bind_int64(stmt, 2, r.wall_ms);
    sqlite3_bind_text(stmt, 3, r.actor.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 4, r.type.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 5, r.payload.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 6, r.hash.c_str(), -1, SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(db_.get());
    sqlite3_finalize(stmt);
  }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::unique_ptr<sqlite3, Closer> db_;
};

inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

// Removes a journal file and the -wal and -shm files SQLite may keep beside it.
inline void RemoveJournal(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ec);
}

// Copies a closed journal (a single file once its last connection closed) to `to`.
inline void CopyJournal(const std::string& from, const std::string& to) {
  ASSERT_FALSE(std::filesystem::exists(from + "-wal")) << "journal still open: " << from;
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
}

// Recomputes every hash from record `from_seq` on, as a forger with RecordHash would, and
// (when `fix_chain_head`) the chain_head of a final run_ended.
inline void Rechain(const std::string& path, int64_t from_seq, bool fix_chain_head) {
  auto records = ReadJournal(path);
  ASSERT_TRUE(records.ok()) << records.status();
  RawDb db(path);
  std::string previous;
  for (size_t i = 0; i < records->size(); ++i) {
    JournalRecord& r = (*records)[i];
    if (r.seq >= from_seq) {
      if (fix_chain_head && i + 1 == records->size() && r.type == "run_ended") {
        r.payload = RunEndedPayload(previous);
      }
      r.hash = RecordHash(previous, r);
      db.Put(r);
    }
    previous = r.hash;
  }
}

}  // namespace tminus::journal_test
