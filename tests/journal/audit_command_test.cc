// `tminus audit verify` and `tminus audit export` on real journal files.
#include "tools/cli/audit_command.h"

#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/journal/journal.h"
#include "tests/journal/journal_test_util.h"

namespace tminus::cli {
namespace {

using journal_test::RawDb;
using ::testing::HasSubstr;

struct Captured {
  std::ostringstream out;
  std::ostringstream err;
  Output io{out, err};
};

std::vector<std::string> Lines(const std::string& text, const std::string& end = "\n") {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t at; (at = text.find(end, start)) != std::string::npos; start = at + end.size()) {
    lines.push_back(text.substr(start, at - start));
  }
  EXPECT_EQ(start, text.size()) << "output does not end with a line break";
  return lines;
}

class AuditCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("run.db");
    written_ = journal_test::WriteFinishedRun(path_, 6);
  }

  journal_test::TempDir dir_;
  std::string path_;
  std::vector<JournalRecord> written_;
};

TEST_F(AuditCommandTest, VerifyPrintsTheCountAndTheHead) {
  Captured c;
  EXPECT_EQ(RunAuditVerify({path_, std::nullopt}, c.io), kExitOk);
  EXPECT_EQ(c.out.str(),
            "journal " + path_ + ": 6 records, chain intact\nhead: " + written_.back().hash + "\n");
  EXPECT_EQ(c.err.str(), "");
}

TEST_F(AuditCommandTest, VerifyChecksTheExpectedHead) {
  Captured ok;
  EXPECT_EQ(RunAuditVerify({path_, written_.back().hash}, ok.io), kExitOk);
  EXPECT_THAT(ok.out.str(), HasSubstr("head as expected"));

  Captured bad;
  EXPECT_EQ(RunAuditVerify({path_, Sha256Hex("x")}, bad.io), kExitAuditFailed);
  EXPECT_EQ(bad.out.str(), "");
  EXPECT_THAT(bad.err.str(), HasSubstr("journal " + path_ + ": verification FAILED: "));
}

TEST_F(AuditCommandTest, VerifyNamesTheFirstBadRecord) {
  RawDb(path_).Exec("UPDATE records SET actor = 'operator:mallory' WHERE seq = 4");
  Captured c;
  EXPECT_EQ(RunAuditVerify({path_, std::nullopt}, c.io), kExitAuditFailed);
  EXPECT_EQ(c.out.str(), "");
  EXPECT_THAT(c.err.str(),
              HasSubstr("journal " + path_ + ": verification FAILED at record 4: record 4 was"));
}

TEST_F(AuditCommandTest, VerifyOfAMissingFileIsAnIoError) {
  Captured c;
  const std::string missing = dir_.File("missing.db");
  EXPECT_EQ(RunAuditVerify({missing, std::nullopt}, c.io), kExitUsage);
  EXPECT_EQ(c.err.str(), "journal " + missing + ": no such file\n");
}

TEST_F(AuditCommandTest, ExportsJsonLinesWithPayloadsAsObjects) {
  Captured c;
  EXPECT_EQ(RunAuditExport({path_, "jsonl"}, c.io), kExitOk);
  const std::vector<std::string> lines = Lines(c.out.str());
  ASSERT_EQ(lines.size(), written_.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    const nlohmann::json line = nlohmann::json::parse(lines[i]);
    std::vector<std::string> keys;
    for (auto it = line.begin(); it != line.end(); ++it) keys.push_back(it.key());
    EXPECT_EQ(keys.size(), 7u);
    EXPECT_EQ(line["seq"], written_[i].seq);
    EXPECT_EQ(line["time"], FormatUtcMillis(written_[i].wall_ms));
    EXPECT_EQ(line["wall_ms"], written_[i].wall_ms);
    EXPECT_EQ(line["actor"], written_[i].actor);
    EXPECT_EQ(line["type"], written_[i].type);
    ASSERT_TRUE(line["payload"].is_object()) << lines[i];
    EXPECT_EQ(line["payload"], nlohmann::json::parse(written_[i].payload));
    EXPECT_EQ(line["hash"], written_[i].hash);
  }
  EXPECT_THAT(lines[0], HasSubstr("{\"seq\":1,\"time\":\"2024-05-01T22:00:00.000Z\","));
}

TEST_F(AuditCommandTest, ExportsCsvWithRfc4180Quoting) {
  RawDb db(path_);
  db.Exec("UPDATE records SET actor = 'ops, \"night\" shift' WHERE seq = 2");
  Captured c;
  EXPECT_EQ(RunAuditExport({path_, "csv"}, c.io), kExitOk);
  const std::vector<std::string> lines = Lines(c.out.str(), "\r\n");
  ASSERT_EQ(lines.size(), written_.size() + 1);
  EXPECT_EQ(lines[0], "seq,time,actor,type,payload,hash");
  const std::string payload = nlohmann::json::parse(written_[1].payload).dump();
  std::string quoted_payload;
  for (char ch : payload) quoted_payload += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  EXPECT_EQ(lines[2], "2,2024-05-01T22:00:01.000Z,\"ops, \"\"night\"\" shift\",step,\"" +
                          quoted_payload + "\"," + written_[1].hash);
}

TEST_F(AuditCommandTest, ExportRejectsAnUnknownFormatOrAnUnreadableFile) {
  Captured format;
  EXPECT_EQ(RunAuditExport({path_, "xml"}, format.io), kExitUsage);
  EXPECT_THAT(format.err.str(), HasSubstr("unknown export format 'xml'"));
  EXPECT_EQ(format.out.str(), "");

  const std::string text = dir_.File("notes.txt");
  journal_test::WriteBytes(text, "not a journal\n");
  Captured unreadable;
  EXPECT_EQ(RunAuditExport({text, "jsonl"}, unreadable.io), kExitUsage);
  EXPECT_EQ(unreadable.err.str(), "journal " + text + ": file is not a database\n");
}

TEST(AuditFormatTest, TimesAreUtcWithMilliseconds) {
  EXPECT_EQ(FormatUtcMillis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatUtcMillis(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatUtcMillis(1714600800123), "2024-05-01T22:00:00.123Z");
}

TEST(AuditFormatTest, CsvFieldsAreQuotedOnlyWhenNeeded) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField(""), "");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"go\""), "\"say \"\"go\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField("cr\r"), "\"cr\r\"");
}

}  // namespace
}  // namespace tminus::cli
