// VerifyJournal against every kind of damage: changed fields, flipped bytes in the file,
// deleted, inserted and swapped records, a cut tail, forged chains, a wrong expected head.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/journal/journal.h"
#include "tests/journal/journal_test_util.h"

namespace tminus {
namespace {

using journal_test::RawDb;
using ::testing::HasSubstr;

constexpr int kRecords = 9;

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pristine_ = dir_.File("pristine.db");
    work_ = dir_.File("work.db");
    written_ = journal_test::WriteFinishedRun(pristine_, kRecords);
    ASSERT_EQ(written_.size(), static_cast<size_t>(kRecords));
  }

  // A fresh copy of the pristine journal to damage.
  const std::string& Fresh() {
    journal_test::RemoveJournal(work_);
    journal_test::CopyJournal(pristine_, work_);
    return work_;
  }

  // Expects verification of the work copy to fail at `seq` with a problem containing `text`.
  void ExpectFailsAt(int64_t seq, const std::string& text = "") {
    const VerifyResult result = VerifyJournal(work_);
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.first_bad_seq, seq) << result.problem;
    EXPECT_THAT(result.problem, HasSubstr(text));
  }

  journal_test::TempDir dir_;
  std::string pristine_;
  std::string work_;
  std::vector<JournalRecord> written_;
};

TEST_F(VerifyTest, AFinishedRunVerifies) {
  const VerifyResult result = VerifyJournal(pristine_);
  EXPECT_TRUE(result.ok) << result.problem;
  EXPECT_EQ(result.records, kRecords);
  EXPECT_EQ(result.head, written_.back().hash);
  EXPECT_EQ(result.first_bad_seq, 0);
  EXPECT_EQ(result.problem, "");
}

TEST_F(VerifyTest, AChangeToAnyFieldOfAnyRecordFailsAtThatRecord) {
  const std::vector<std::string> changes = {
      "wall_ms = wall_ms + 1",
      "wall_ms = wall_ms + 0.5",  // a real that reads back as the same integer
      "actor = actor || 'x'",
      "actor = ''",
      "type = type || 'x'",
      "payload = payload || ' '",
      "payload = CAST(payload AS BLOB)",  // the same bytes, stored as a blob
      "hash = substr(hash, 1, 63) || CASE substr(hash, 64, 1) WHEN '0' THEN '1' ELSE '0' END",
      "hash = upper(hash)",
      "seq = seq + 1000",
  };
  for (int seq = 1; seq <= kRecords; ++seq) {
    for (const std::string& change : changes) {
      SCOPED_TRACE("record " + std::to_string(seq) + ": " + change);
      RawDb(Fresh()).Exec("UPDATE records SET " + change + " WHERE seq = " + std::to_string(seq));
      ExpectFailsAt(seq);
    }
  }
}

TEST_F(VerifyTest, AFlippedPayloadByteInTheFileFailsAtThatRecord) {
  const std::string pristine_bytes = journal_test::ReadBytes(pristine_);
  for (const JournalRecord& record : written_) {
    SCOPED_TRACE("record " + std::to_string(record.seq));
    const size_t at = pristine_bytes.find(record.payload);
    ASSERT_NE(at, std::string::npos) << "payload not stored contiguously";
    ASSERT_EQ(pristine_bytes.find(record.payload, at + 1), std::string::npos)
        << "payload stored twice";
    for (size_t offset : {size_t{0}, record.payload.size() / 2, record.payload.size() - 1}) {
      std::string bytes = pristine_bytes;
      bytes[at + offset] = static_cast<char>(bytes[at + offset] ^ 0x01);
      journal_test::RemoveJournal(work_);
      journal_test::WriteBytes(work_, bytes);
      ExpectFailsAt(record.seq, "record " + std::to_string(record.seq) + " was altered");
    }
  }
}

TEST_F(VerifyTest, AFileThatIsNotAJournalFailsAtFileLevel) {
  std::string bytes = journal_test::ReadBytes(pristine_);
  bytes.replace(0, 16, "not SQLite, sry\n");
  journal_test::WriteBytes(work_, bytes);
  ExpectFailsAt(0, "file is not a database");

  journal_test::WriteBytes(work_, "seq,type\n1,run_started\n");
  ExpectFailsAt(0, "not a database");

  // Every page but the first zeroed: the schema names pages that are now garbage.
  bytes = journal_test::ReadBytes(pristine_);
  std::fill(bytes.begin() + 4096, bytes.end(), '\0');
  journal_test::WriteBytes(work_, bytes);
  ExpectFailsAt(0, "malformed");

  journal_test::RemoveJournal(work_);
  ExpectFailsAt(0, "no such file");
}

TEST_F(VerifyTest, ADeletedRecordFailsWhereItWas) {
  for (int seq = 1; seq < kRecords; ++seq) {
    SCOPED_TRACE("deleted record " + std::to_string(seq));
    RawDb(Fresh()).Exec("DELETE FROM records WHERE seq = " + std::to_string(seq));
    ExpectFailsAt(seq, "record " + std::to_string(seq) + " is missing");
  }
  RawDb(Fresh()).Exec("DELETE FROM records WHERE seq = " + std::to_string(kRecords));
  ExpectFailsAt(kRecords, "ends at record " + std::to_string(kRecords - 1) + " without run_ended");
}

// Inserting a record after record `k` means renumbering everything after it; the forger
// can chain the new record to record k, but not keep the records after it valid.
void InsertAfter(const std::string& path, int64_t k, const std::vector<JournalRecord>& written,
                 bool valid_hash) {
  RawDb db(path);
  db.Exec("UPDATE records SET seq = -(seq + 1) WHERE seq > " + std::to_string(k));
  db.Exec("UPDATE records SET seq = -seq WHERE seq < 0");
  JournalRecord forged{k + 1,      journal_test::kT0Ms + 500, "operator:mallory",
                       "decision", "{\"go\":true}",           ""};
  forged.hash =
      valid_hash ? RecordHash(k == 0 ? "" : written[k - 1].hash, forged) : Sha256Hex("anything");
  db.Put(forged);
}

TEST_F(VerifyTest, AnInsertedRecordIsCaught) {
  for (int k = 0; k <= kRecords; ++k) {
    SCOPED_TRACE("inserted after record " + std::to_string(k));
    InsertAfter(Fresh(), k, written_, /*valid_hash=*/false);
    ExpectFailsAt(k + 1, "record " + std::to_string(k + 1));

    InsertAfter(Fresh(), k, written_, /*valid_hash=*/true);
    if (k == 0) {
      ExpectFailsAt(1, "a journal starts with run_started");
    } else if (k == kRecords) {
      ExpectFailsAt(k + 1, "follows run_ended");
    } else {
      // The forged record links to record k; the record after it no longer does.
      ExpectFailsAt(k + 2, "record " + std::to_string(k + 2) + " was altered");
    }
  }
}

TEST_F(VerifyTest, SwappedNeighboursFailAtTheFirstOfThem) {
  for (int k = 1; k < kRecords; ++k) {
    SCOPED_TRACE("swapped " + std::to_string(k) + " and " + std::to_string(k + 1));
    RawDb db(Fresh());
    const std::string a = std::to_string(k);
    const std::string b = std::to_string(k + 1);
    db.Exec("UPDATE records SET seq = -1 WHERE seq = " + a);
    db.Exec("UPDATE records SET seq = " + a + " WHERE seq = " + b);
    db.Exec("UPDATE records SET seq = " + b + " WHERE seq = -1");
    ExpectFailsAt(k);
  }
}

TEST_F(VerifyTest, ACutAtEveryRecordBoundaryIsReportedWhereItIs) {
  for (int k = 0; k < kRecords; ++k) {
    SCOPED_TRACE("cut after record " + std::to_string(k));
    RawDb(Fresh()).Exec("DELETE FROM records WHERE seq > " + std::to_string(k));
    if (k == 0) {
      ExpectFailsAt(1, "no records");
    } else {
      ExpectFailsAt(k + 1, "the journal ends at record " + std::to_string(k) +
                               " without run_ended: the run is still going, or its tail was cut");
    }
    // What is left is an intact prefix: replay reads exactly it.
    auto read = ReadJournal(work_);
    ASSERT_TRUE(read.ok()) << read.status();
    ASSERT_EQ(read->size(), static_cast<size_t>(k));
    for (int i = 0; i < k; ++i) {
      EXPECT_EQ((*read)[i].seq, written_[i].seq);
      EXPECT_EQ((*read)[i].payload, written_[i].payload);
      EXPECT_EQ((*read)[i].hash, written_[i].hash);
    }
    const VerifyResult result = VerifyJournal(work_);
    EXPECT_EQ(result.records, k);
  }
}

TEST_F(VerifyTest, ARunStillGoingVerifiesAsUnfinishedWhileItIsWritten) {
  const std::string path = dir_.File("live.db");
  auto journal = Journal::Create(path);
  ASSERT_TRUE(journal.ok()) << journal.status();
  ASSERT_TRUE((*journal)
                  ->Append(journal_test::kT0Ms, "engine", "run_started",
                           journal_test::RunStartedPayload("a: 1\n"), Durability::kSync)
                  .ok());
  ASSERT_TRUE(
      (*journal)->Append(journal_test::kT0Ms + 1, "engine", "step", "{}", Durability::kSync).ok());
  ASSERT_TRUE(
      (*journal)->Append(journal_test::kT0Ms + 2, "engine", "step", "{}", Durability::kGroup).ok());
  const VerifyResult result = VerifyJournal(path);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.records, 2) << "the pending group record is not committed";
  EXPECT_EQ(result.first_bad_seq, 3);
  EXPECT_THAT(result.problem, HasSubstr("still going"));
  // The writer is undisturbed by the reader.
  EXPECT_TRUE(
      (*journal)->Append(journal_test::kT0Ms + 3, "engine", "step", "{}", Durability::kSync).ok());
  EXPECT_EQ(VerifyJournal(path).records, 4);
}

TEST_F(VerifyTest, AnUnfinishedRunVerifiesWhenItsEndIsOptional) {
  // A run to resume: any intact prefix passes, and damage is still found.
  for (int k = 1; k < kRecords; ++k) {
    SCOPED_TRACE("cut after record " + std::to_string(k));
    RawDb(Fresh()).Exec("DELETE FROM records WHERE seq > " + std::to_string(k));
    const VerifyResult result = VerifyJournal(work_, std::nullopt, RunEnd::kOptional);
    EXPECT_TRUE(result.ok) << result.problem;
    EXPECT_EQ(result.records, k);
    EXPECT_EQ(result.head, written_[k - 1].hash);
  }
  EXPECT_TRUE(VerifyJournal(pristine_, std::nullopt, RunEnd::kOptional).ok) << "a finished run too";

  RawDb(Fresh()).Exec("DELETE FROM records WHERE seq > 5");
  RawDb(work_).Exec("UPDATE records SET actor = 'mallory' WHERE seq = 3");
  const VerifyResult altered = VerifyJournal(work_, std::nullopt, RunEnd::kOptional);
  EXPECT_FALSE(altered.ok);
  EXPECT_EQ(altered.first_bad_seq, 3) << altered.problem;

  RawDb(Fresh()).Exec("UPDATE records SET payload = '{\"outcome\":\"succeeded\"}' WHERE seq = " +
                      std::to_string(kRecords));
  journal_test::Rechain(work_, kRecords, /*fix_chain_head=*/false);
  const VerifyResult no_head = VerifyJournal(work_, std::nullopt, RunEnd::kOptional);
  EXPECT_FALSE(no_head.ok);
  EXPECT_THAT(no_head.problem, HasSubstr("no chain_head"));

  RawDb(Fresh()).Exec("DELETE FROM records");
  EXPECT_FALSE(VerifyJournal(work_, std::nullopt, RunEnd::kOptional).ok) << "no records at all";
}

TEST_F(VerifyTest, TheExpectedHeadMustMatch) {
  const std::string head = written_.back().hash;
  EXPECT_TRUE(VerifyJournal(pristine_, head).ok);
  std::string pasted = " " + head + "\n";
  for (char& c : pasted) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(VerifyJournal(pristine_, pasted).ok) << "a pasted head in capitals is the same";

  VerifyResult result = VerifyJournal(pristine_, Sha256Hex("another run"));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_seq, 0);
  EXPECT_THAT(result.problem, HasSubstr("is not the expected head"));
  EXPECT_EQ(result.head, head);

  result = VerifyJournal(pristine_, written_[4].hash);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_seq, 6);
  EXPECT_THAT(result.problem, HasSubstr("the expected head is the hash of record 5"));
}

TEST_F(VerifyTest, ARechainedForgeryIsCaughtByTheChainHead) {
  RawDb(Fresh()).Exec("UPDATE records SET payload = '{\"step\":\"forged\"}' WHERE seq = 3");
  journal_test::Rechain(work_, 3, /*fix_chain_head=*/false);
  ExpectFailsAt(kRecords, "run_ended states chain_head");
}

TEST_F(VerifyTest, AFullyRewrittenJournalIsCaughtByTheExpectedHead) {
  RawDb(Fresh()).Exec("UPDATE records SET payload = '{\"step\":\"forged\"}' WHERE seq = 3");
  journal_test::Rechain(work_, 3, /*fix_chain_head=*/true);
  // Consistent in itself: only the head recorded elsewhere (the change ticket) tells.
  EXPECT_TRUE(VerifyJournal(work_).ok);
  const VerifyResult result = VerifyJournal(work_, written_.back().hash);
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.problem, HasSubstr("is not the expected head"));
}

TEST_F(VerifyTest, TheRunbookTextMustMatchItsHash) {
  nlohmann::json payload = nlohmann::json::parse(written_[0].payload);
  payload["runbook_text"] = payload["runbook_text"].get<std::string>() + "  - id: extra\n";
  RawDb(Fresh()).Exec("UPDATE records SET payload = '" + payload.dump() + "' WHERE seq = 1");
  journal_test::Rechain(work_, 1, /*fix_chain_head=*/true);
  ExpectFailsAt(1, "the runbook text does not match its runbook_sha256");

  payload.erase("runbook_text");
  RawDb(Fresh()).Exec("UPDATE records SET payload = '" + payload.dump() + "' WHERE seq = 1");
  journal_test::Rechain(work_, 1, /*fix_chain_head=*/true);
  ExpectFailsAt(1, "no runbook_text");
}

TEST_F(VerifyTest, TheRunIsFramedByRunStartedAndRunEnded) {
  RawDb(Fresh()).Exec("UPDATE records SET type = 'step' WHERE seq = 1");
  journal_test::Rechain(work_, 1, /*fix_chain_head=*/true);
  ExpectFailsAt(1, "starts with run_started");

  RawDb(Fresh()).Exec("UPDATE records SET type = 'run_started' WHERE seq = 4");
  journal_test::Rechain(work_, 4, /*fix_chain_head=*/true);
  ExpectFailsAt(4, "second run_started");

  RawDb(Fresh()).Exec("UPDATE records SET type = 'run_ended' WHERE seq = 4");
  journal_test::Rechain(work_, 4, /*fix_chain_head=*/true);
  ExpectFailsAt(5, "follows run_ended (record 4)");

  RawDb(Fresh()).Exec("UPDATE records SET payload = '{\"outcome\":\"succeeded\"}' WHERE seq = " +
                      std::to_string(kRecords));
  journal_test::Rechain(work_, kRecords, /*fix_chain_head=*/false);
  ExpectFailsAt(kRecords, "no chain_head");
}

}  // namespace
}  // namespace tminus
