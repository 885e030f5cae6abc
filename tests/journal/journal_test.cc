// The journal writer: round trip, durability, group commit, resume, disk full.
#include "engine/journal/journal.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/journal/journal_test_util.h"

namespace tminus {
namespace {

using journal_test::kT0Ms;
using journal_test::RawDb;
using journal_test::TempDir;
using ::testing::HasSubstr;

TEST(Sha256Test, MatchesKnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(RecordHashTest, ChangesWithEveryFieldAndThePreviousHash) {
  const JournalRecord base{3, kT0Ms, "engine", "step", "{\"a\":1}", ""};
  const std::string prev = Sha256Hex("previous");
  const std::string hash = RecordHash(prev, base);
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_EQ(hash, RecordHash(prev, base));
  EXPECT_NE(hash, RecordHash("", base));
  JournalRecord r = base;
  r.seq = 4;
  EXPECT_NE(hash, RecordHash(prev, r));
  r = base;
  r.wall_ms += 1;
  EXPECT_NE(hash, RecordHash(prev, r));
  r = base;
  r.actor = "enginf";
  EXPECT_NE(hash, RecordHash(prev, r));
  r = base;
  r.type = "stop";
  EXPECT_NE(hash, RecordHash(prev, r));
  r = base;
  r.payload = "{\"a\":2}";
  EXPECT_NE(hash, RecordHash(prev, r));
  r = base;
  r.hash = "ignored: a record's own hash is not an input";
  EXPECT_EQ(hash, RecordHash(prev, r));
}

// Pins the on-disk format: these values were computed outside tminus (Python's hashlib over
// the documented encoding). Changing the encoding breaks every journal written before.
TEST(RecordHashTest, MatchesTheDocumentedEncoding) {
  const JournalRecord first{1, 1714600800000, "engine", "run_started", "{}", ""};
  const std::string first_hash = RecordHash("", first);
  EXPECT_EQ(first_hash, "8a8a9bd5953213ea4e5a8c61cce4d016f461f628a9aded4f71bf397ed90ab6e6");
  const JournalRecord second{2, -1, "operator:alice", "decision", "{\"go\":true}", ""};
  EXPECT_EQ(RecordHash(first_hash, second),
            "078e865c563f80d919b70c693539337eb0f7bc8250414967b9b5cf2a94ccbe3d");
}

TEST(RecordHashTest, FieldBoundariesAreUnambiguous) {
  const JournalRecord a{1, 0, "ab", "c", "", ""};
  const JournalRecord b{1, 0, "a", "bc", "", ""};
  const JournalRecord c{1, 0, "a", "b", "c", ""};
  EXPECT_NE(RecordHash("", a), RecordHash("", b));
  EXPECT_NE(RecordHash("", a), RecordHash("", c));
  EXPECT_NE(RecordHash("", b), RecordHash("", c));
}

TEST(JournalTest, AppendedRecordsReadBackInOrderWithTheirChain) {
  TempDir dir;
  const std::string path = dir.File("run.db");
  std::vector<JournalRecord> written;
  {
    auto journal = Journal::Create(path);
    ASSERT_TRUE(journal.ok()) << journal.status();
    EXPECT_EQ((*journal)->head(), "");
    EXPECT_EQ((*journal)->last_seq(), 0);
    const std::vector<JournalRecord> inputs = {
        {0, kT0Ms, "engine", "run_started", journal_test::RunStartedPayload("a: 1\n"), ""},
        {0, kT0Ms + 5, "operator:alice", "signoff", "{\"note\":\"line 1\\nline \\\"2\\\"\"}", ""},
        {0, kT0Ms + 9, "b\xc3\xa9la", "step", "{\"x\":\"\xe2\x9c\x93\"}", ""},
        {0, -42, "", "", "", ""},
    };
    std::string previous;
    for (size_t i = 0; i < inputs.size(); ++i) {
      JournalRecord r = inputs[i];
      auto seq = (*journal)->Append(r.wall_ms, r.actor, r.type, r.payload,
                                    i % 2 == 0 ? Durability::kSync : Durability::kGroup);
      ASSERT_TRUE(seq.ok()) << seq.status();
      EXPECT_EQ(*seq, static_cast<int64_t>(i) + 1);
      r.seq = *seq;
      r.hash = RecordHash(previous, r);
      EXPECT_EQ((*journal)->head(), r.hash);
      EXPECT_EQ((*journal)->last_seq(), r.seq);
      previous = r.hash;
      written.push_back(r);
    }
  }
  auto read = ReadJournal(path);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), written.size());
  for (size_t i = 0; i < written.size(); ++i) {
    SCOPED_TRACE("record " + std::to_string(i + 1));
    EXPECT_EQ((*read)[i].seq, written[i].seq);
    EXPECT_EQ((*read)[i].wall_ms, written[i].wall_ms);
    EXPECT_EQ((*read)[i].actor, written[i].actor);
    EXPECT_EQ((*read)[i].type, written[i].type);
    EXPECT_EQ((*read)[i].payload, written[i].payload);
    EXPECT_EQ((*read)[i].hash, written[i].hash);
  }
}

TEST(JournalTest, FileIsInWalModeWithAFormatVersion) {
  TempDir dir;
  const std::string path = dir.File("run.db");
  auto journal = Journal::Create(path);
  ASSERT_TRUE(journal.ok()) << journal.status();
  RawDb raw(path);
  EXPECT_EQ(raw.QueryInt("SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
  EXPECT_EQ(raw.QueryInt("SELECT value FROM meta WHERE key = 'version'"), 1);
}

TEST(JournalTest, SyncAppendIsCommittedBeforeItReturns) {
  TempDir dir;
  const std::string path = dir.File("run.db");
  auto journal = Journal::Create(path);
  ASSERT_TRUE(journal.ok()) << journal.status();
  RawDb other(path);
  for (int i = 1; i <= 3; ++i) {
    auto seq = (*journal)->Append(kT0Ms + i, "engine", "step", journal_test::StepPayload(i),
                                  Durability::kSync);
    ASSERT_TRUE(seq.ok()) << seq.status();
    EXPECT_EQ(other.Count(), i) << "another connection does not see record " << i;
  }
}

// A process that dies right after Append returns (no destructor, no close) keeps every
// kSync record; a kGroup record after it, never flushed, is gone.
TEST(JournalTest, SyncRecordSurvivesAProcessThatDiesWithoutClosing) {
  TempDir dir;
  const std::string path = dir.File("run.db");
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto journal = Journal::Create(path);
    if (!journal.ok()) _exit(10);
    Journal& j = **journal;
    const std::string started = journal_test::RunStartedPayload("a: 1\n");
    if (!j.Append(kT0Ms, "engine", "run_started", started, Durability::kGroup).ok()) _exit(11);
    if (!j.Append(kT0Ms + 1, "alice", "decision", "{}", Durability::kSync).ok()) _exit(12);
    if (!j.Append(kT0Ms + 2, "engine", "step", "{}", Durability::kGroup).ok()) _exit(13);
    _exit(0);  // the journal is never destroyed: as if killed
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus));
  ASSERT_EQ(WEXITSTATUS(wstatus), 0);
  auto read = ReadJournal(path);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[1].type, "decision");
  // The survivor can be resumed: the chain is intact.
  auto resumed = Journal::OpenForAppend(path);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ((*resumed)->last_seq(), 2);
  EXPECT_EQ((*resumed)->head(), (*read)[1].hash);
}

// A new journal at `path` that commits a group once `group_max_records` records are pending;
// null (and a failed test) if it cannot be created.
std::unique_ptr<Journal> CreateGrouped(const std::string& path, int group_max_records) {
  JournalOptions options;
  options.group_max_records = group_max_records;
  auto journal = Journal::Create(path, options);
  EXPECT_TRUE(journal.ok()) << journal.status();
  return journal.ok() ? *std::move(journal) : nullptr;
}

// Appends step record `i` (its own payload, at kT0Ms + i) with group durability.
absl::Status AppendGroupStep(Journal& journal, int i) {
  return journal
      .Append(kT0Ms + i, "engine", "step", journal_test::StepPayload(i), Durability::kGroup)
      .status();
}

TEST(JournalTest, GroupRecordsAreInvisibleUntilFlush) {
  TempDir dir;
  const std::string path = dir.File("run.db");
  const std::unique_ptr<Journal> journal = CreateGrouped(path, 100);
  ASSERT_NE(journal, nullptr);
  RawDb other(path);
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(AppendGroupStep(*journal, i).ok());
  EXPECT_EQ(journal->last_seq(), 5);
  EXPECT_EQ(other.Count(), 0);
  ASSERT_TRUE(journal->Flush().ok());
  EXPECT_EQ(other.Count(), 5);
  EXPECT_TRUE(journal->Flush().ok()) << "a flush with nothing pending is fine";
  EXPECT_EQ(other.Count(), 5);
}

TEST(JournalTest, GroupCommitsWhenGroupMaxRecordsArePending) {
  TempDir dir;
  const std::string path = dir.File("run.db");
  const std::unique_ptr<Journal> journal = CreateGrouped(path, 4);
  ASSERT_NE(journal, nullptr);
  RawDb other(path);
  std::vector<int64_t> visible;
  for (int i = 1; i <= 10; ++i) {
    ASSERT_TRUE(AppendGroupStep(*journal, i).ok());
    visible.push_back(other.Count());
  }
  EXPECT_EQ(visible, (std::vector<int64_t>{0, 0, 0, 4, 4, 4, 4, 8, 8, 8}));
}

TEST(JournalTest, SyncAppendCommitsEveryEarlierGroupRecord) {
  TempDir dir;
  const std::string path = dir.File("run.db");
  auto journal = Journal::Create(path);
  ASSERT_TRUE(journal.ok()) << journal.status();
  RawDb other(path);
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(AppendGroupStep(**journal, i).ok());
  EXPECT_EQ(other.Count(), 0);
  ASSERT_TRUE((*journal)->Append(kT0Ms + 4, "bob", "decision", "{}", Durability::kSync).ok());
  EXPECT_EQ(other.Count(), 4);
}

TEST(JournalTest, DestructorFlushesPendingRecords) {
  TempDir dir;
  const std::string path = dir.File("run.db");
  {
    auto journal = Journal::Create(path);
    ASSERT_TRUE(journal.ok()) << journal.status();
    for (int i = 1; i <= 7; ++i) ASSERT_TRUE(AppendGroupStep(**journal, i).ok());
  }
  auto read = ReadJournal(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->size(), 7u);
}

TEST(JournalTest, OpenForAppendContinuesTheChain) {
  TempDir dir;
  const std::string path = dir.File("run.db");
  std::string head;
  {
    auto journal = Journal::Create(path);
    ASSERT_TRUE(journal.ok()) << journal.status();
    ASSERT_TRUE((*journal)
                    ->Append(kT0Ms, "engine", "run_started",
                             journal_test::RunStartedPayload(journal_test::RunbookText()),
                             Durability::kSync)
                    .ok());
    for (int i = 2; i <= 5; ++i) {
      ASSERT_TRUE((*journal)
                      ->Append(kT0Ms + i, "engine", "step", journal_test::StepPayload(i),
                               Durability::kGroup)
                      .ok());
    }
    head = (*journal)->head();
  }
  auto journal = Journal::OpenForAppend(path);
  ASSERT_TRUE(journal.ok()) << journal.status();
  EXPECT_EQ((*journal)->last_seq(), 5);
  EXPECT_EQ((*journal)->head(), head);
  const JournalRecord next{6, kT0Ms + 6, "engine", "step", "{\"resumed\":true}", ""};
  auto seq =
      (*journal)->Append(next.wall_ms, next.actor, next.type, next.payload, Durability::kSync);
  ASSERT_TRUE(seq.ok()) << seq.status();
  EXPECT_EQ(*seq, 6);
  EXPECT_EQ((*journal)->head(), RecordHash(head, next));
  ASSERT_TRUE((*journal)
                  ->Append(kT0Ms + 7, "engine", "run_ended",
                           journal_test::RunEndedPayload((*journal)->head()), Durability::kSync)
                  .ok());
  journal->reset();
  const VerifyResult result = VerifyJournal(path);
  EXPECT_TRUE(result.ok) << result.problem;
  EXPECT_EQ(result.records, 7);
}

TEST(JournalTest, OpenForAppendRefusesABrokenChain) {
  TempDir dir;
  const std::string path = dir.File("run.db");
  journal_test::WriteFinishedRun(path, 6);
  RawDb(path).Exec("DELETE FROM records WHERE seq = 6");                // a resumable run...
  RawDb(path).Exec("UPDATE records SET payload = '{}' WHERE seq = 3");  // ...tampered with
  auto journal = Journal::OpenForAppend(path);
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(journal.status().message(), HasSubstr("journal " + path));
  EXPECT_THAT(journal.status().message(), HasSubstr("broken at record 3"));
}

TEST(JournalTest, OpenForAppendRefusesAnEndedRun) {
  TempDir dir;
  const std::string path = dir.File("run.db");
  journal_test::WriteFinishedRun(path, 4);
  auto journal = Journal::OpenForAppend(path);
  ASSERT_FALSE(journal.ok());
  EXPECT_THAT(journal.status().message(), HasSubstr("record 4 is run_ended"));
}

TEST(JournalTest, OpenForAppendRefusesAMissingFile) {
  TempDir dir;
  const std::string path = dir.File("nope.db");
  auto journal = Journal::OpenForAppend(path);
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(journal.status().message(), "journal " + path + ": no such file");
  EXPECT_FALSE(std::filesystem::exists(path)) << "opening must not create the file";
}

TEST(JournalTest, CreateRefusesAJournalThatHoldsRecords) {
  TempDir dir;
  const std::string path = dir.File("run.db");
  journal_test::WriteFinishedRun(path, 3);
  auto journal = Journal::Create(path);
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(journal.status().message(), HasSubstr("journal " + path + ": already holds 3"));
  auto read = ReadJournal(path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->size(), 3u) << "a refused Create must leave the file alone";
}

TEST(JournalTest, CreateReusesAnEmptyFileOrAnEmptyJournal) {
  TempDir dir;
  const std::string path = dir.File("run.db");
  journal_test::WriteBytes(path, "");
  {
    auto journal = Journal::Create(path);
    ASSERT_TRUE(journal.ok()) << journal.status();
  }
  auto journal = Journal::Create(path);
  ASSERT_TRUE(journal.ok()) << journal.status();
  EXPECT_TRUE((*journal)->Append(kT0Ms, "engine", "step", "{}", Durability::kSync).ok());
}

TEST(JournalTest, CreateRefusesAFileThatIsNotAJournal) {
  TempDir dir;
  const std::string text = dir.File("notes.txt");
  journal_test::WriteBytes(text, "these are my notes, not a database\n");
  auto journal = Journal::Create(text);
  ASSERT_FALSE(journal.ok());
  EXPECT_THAT(journal.status().message(), HasSubstr("journal " + text + ": "));
  EXPECT_THAT(journal.status().message(), HasSubstr("not a database"));
  EXPECT_EQ(journal_test::ReadBytes(text), "these are my notes, not a database\n");

  const std::string other = dir.File("other.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(other.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE invoices (id INTEGER)", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  journal = Journal::Create(other);
  ASSERT_FALSE(journal.ok());
  EXPECT_THAT(journal.status().message(), HasSubstr("not a tminus journal"));
}

TEST(JournalTest, RejectsANonPositiveGroupSize) {
  TempDir dir;
  JournalOptions options;
  options.group_max_records = 0;
  auto journal = Journal::Create(dir.File("run.db"), options);
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(JournalTest, ReadingAndVerifyingLeaveTheFileAsItWas) {
  TempDir dir;
  const std::string path = dir.File("run.db");
  journal_test::WriteFinishedRun(path, 5);
  const std::string before = journal_test::ReadBytes(path);
  ASSERT_TRUE(ReadJournal(path).ok());
  EXPECT_TRUE(VerifyJournal(path).ok);
  EXPECT_EQ(journal_test::ReadBytes(path), before);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
  EXPECT_FALSE(std::filesystem::exists(path + "-shm"));
}

TEST(JournalTest, ReadJournalNamesAMissingFile) {
  TempDir dir;
  const std::string path = dir.File("gone.db");
  auto read = ReadJournal(path);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(read.status().message(), "journal " + path + ": no such file");
}

TEST(JournalTest, ReadJournalRejectsAFileThatIsNotAJournal) {
  TempDir dir;
  const std::string path = dir.File("run.db");
  journal_test::WriteBytes(path, std::string(8192, 'x'));
  auto read = ReadJournal(path);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().message(), "journal " + path + ": file is not a database");

  journal_test::WriteBytes(path, "");
  read = ReadJournal(path);
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(read.status().message(), HasSubstr("not a tminus journal"));
}

// Disk full, for real: SQLite's max_page_count makes an insert fail with SQLITE_FULL.
std::string BigPayload(int64_t seq) {
  return "{\"seq\":" + std::to_string(seq) + ",\"output\":\"" + std::string(1000, 'o') + "\"}";
}

TEST(JournalTest, DiskFullPoisonsTheJournalAndKeepsAVerifiablePrefix) {
  TempDir dir;
  const std::string path = dir.File("run.db");
  JournalOptions options;
  options.max_pages = 16;
  std::vector<JournalRecord> committed;
  absl::Status failure;
  {
    auto journal = Journal::Create(path, options);
    ASSERT_TRUE(journal.ok()) << journal.status();
    Journal& j = **journal;
    for (int i = 1; i <= 1000 && failure.ok(); ++i) {
      const std::string payload =
          i == 1 ? journal_test::RunStartedPayload("a: 1\n") : BigPayload(i);
      const std::string type = i == 1 ? "run_started" : "step";
      auto seq = j.Append(kT0Ms + i, "engine", type, payload, Durability::kSync);
      if (!seq.ok()) {
        failure = seq.status();
        break;
      }
      committed.push_back({*seq, kT0Ms + i, "engine", type, payload, j.head()});
    }
    ASSERT_FALSE(failure.ok()) << "max_pages never ran out";
    ASSERT_GE(committed.size(), 2u);
    EXPECT_EQ(failure.code(), absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(failure.message(), "journal " + path + ": database or disk is full");
    EXPECT_EQ(j.last_seq(), committed.back().seq);
    EXPECT_EQ(j.head(), committed.back().hash);
    // Poisoned: everything after fails the same way, even a tiny record that would fit.
    EXPECT_EQ(j.Append(kT0Ms, "engine", "step", "{}", Durability::kSync).status(), failure);
    EXPECT_EQ(j.Append(kT0Ms, "engine", "step", "{}", Durability::kGroup).status(), failure);
    EXPECT_EQ(j.Flush(), failure);
    EXPECT_EQ(j.last_seq(), committed.back().seq);
  }
  auto read = ReadJournal(path);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), committed.size());
  for (size_t i = 0; i < committed.size(); ++i) {
    EXPECT_EQ((*read)[i].payload, committed[i].payload);
    EXPECT_EQ((*read)[i].hash, committed[i].hash);
  }
  const VerifyResult result = VerifyJournal(path);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_seq, committed.back().seq + 1) << result.problem;
  EXPECT_THAT(result.problem, HasSubstr("ends at record " + std::to_string(committed.back().seq) +
                                        " without run_ended"));
}

TEST(JournalTest, DiskFullInAGroupRollsBackTheWholeGroup) {
  TempDir dir;
  const std::string path = dir.File("run.db");
  JournalOptions options;
  options.max_pages = 16;
  options.group_max_records = 100000;
  int group_appends = 0;
  std::string committed_head;
  {
    auto journal = Journal::Create(path, options);
    ASSERT_TRUE(journal.ok()) << journal.status();
    Journal& j = **journal;
    ASSERT_TRUE(j.Append(kT0Ms, "engine", "run_started", journal_test::RunStartedPayload("a: 1\n"),
                         Durability::kSync)
                    .ok());
    ASSERT_TRUE(j.Append(kT0Ms + 1, "alice", "decision", "{\"go\":true}", Durability::kSync).ok());
    committed_head = j.head();
    absl::Status failure;
    for (int i = 3; i <= 1000; ++i) {
      auto seq = j.Append(kT0Ms + i, "engine", "step", BigPayload(i), Durability::kGroup);
      if (!seq.ok()) {
        failure = seq.status();
        break;
      }
      ++group_appends;
    }
    ASSERT_FALSE(failure.ok()) << "max_pages never ran out";
    EXPECT_THAT(failure.message(), HasSubstr("database or disk is full"));
    EXPECT_GT(group_appends, 0);
    EXPECT_EQ(j.last_seq(), 2) << "the failed group is gone";
    EXPECT_EQ(j.head(), committed_head);
    EXPECT_EQ(j.Flush(), failure);
  }
  auto read = ReadJournal(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->size(), 2u) << "records of the failed group were kept";

  // Once there is room again the run resumes from the last committed record.
  auto resumed = Journal::OpenForAppend(path);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ((*resumed)->last_seq(), 2);
  EXPECT_EQ((*resumed)->head(), committed_head);
  ASSERT_TRUE((*resumed)
                  ->Append(kT0Ms + 9, "engine", "run_ended",
                           journal_test::RunEndedPayload(committed_head), Durability::kSync)
                  .ok());
  resumed->reset();
  const VerifyResult result = VerifyJournal(path);
  EXPECT_TRUE(result.ok) << result.problem;
}

}  // namespace
}  // namespace tminus
