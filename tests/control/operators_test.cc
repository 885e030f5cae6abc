// The operators file: tokens issued once and kept only as hashes, found again by
// Authenticate, and every malformed file refused with its name and the entry.
#include "control/operators.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "tests/temp_dir.h"

namespace tminus::control {
namespace {

using testing::TempDir;
using testing::ReadText;
using testing::WriteText;

TEST(OperatorsTest, AnAddedOperatorIsFoundByTheirTokenAfterASaveAndALoad) {
  TempDir dir;
  const std::string path = (dir.path() / "operators.json").string();
  Operators ops;
  absl::StatusOr<std::string> olu = ops.Add("olu", {"ops", "dba"});
  absl::StatusOr<std::string> kim = ops.Add("kim", {"cab"});
  ASSERT_TRUE(olu.ok()) << olu.status();
  ASSERT_TRUE(kim.ok()) << kim.status();
  EXPECT_NE(*olu, *kim);
  EXPECT_EQ(olu->rfind("tmn_", 0), 0u);
  ASSERT_TRUE(ops.Save(path).ok());

  // Only hashes reach the disk, readable by the owner alone.
  const std::string text = ReadText(path);
  EXPECT_EQ(text.find(*olu), std::string::npos);
  EXPECT_NE(text.find("token_sha256"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  absl::StatusOr<Operators> loaded = Operators::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const Operator* who = loaded->Authenticate(*olu);
  ASSERT_NE(who, nullptr);
  EXPECT_EQ(who->name, "olu");
  EXPECT_EQ(who->roles, (std::vector<std::string>{"ops", "dba"}));
  ASSERT_NE(loaded->Authenticate(*kim), nullptr);
  EXPECT_EQ(loaded->Authenticate(*kim)->name, "kim");
  EXPECT_EQ(loaded->Authenticate(""), nullptr);
  EXPECT_EQ(loaded->Authenticate(*olu + "x"), nullptr);
  EXPECT_EQ(loaded->Authenticate("tmn_0000"), nullptr);
  EXPECT_EQ(loaded->RolesByPerson().at("kim"), std::vector<std::string>{"cab"});
}

TEST(OperatorsTest, ANameIsTakenOnceAndRotateReplacesTheToken) {
  Operators ops;
  absl::StatusOr<std::string> first = ops.Add("olu", {"ops"});
  ASSERT_TRUE(first.ok());
  absl::StatusOr<std::string> again = ops.Add("olu", {"cab"});
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(std::string(again.status().message()).find("rotate"), std::string::npos);
  absl::StatusOr<std::string> rotated = ops.Rotate("olu");
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(ops.Authenticate(*first), nullptr);
  ASSERT_NE(ops.Authenticate(*rotated), nullptr);
  EXPECT_EQ(ops.Rotate("nobody").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(ops.Remove("olu").ok());
  EXPECT_EQ(ops.Authenticate(*rotated), nullptr);
  EXPECT_EQ(ops.Remove("olu").code(), absl::StatusCode::kNotFound);
}

TEST(OperatorsTest, UnusableNamesAndRolesAreRefused) {
  Operators ops;
  EXPECT_EQ(ops.Add("", {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ops.Add("two words", {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ops.Add("olu", {"bad role"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ops.all().empty());
}

TEST(OperatorsTest, AMalformedFileIsRefusedNamingTheFileAndTheEntry) {
  TempDir dir;
  const std::string path = (dir.path() / "operators.json").string();
  const std::string hash(64, 'a');
  struct Case {
    std::string text;
    std::string expect;
  };
  const Case cases[] = {
      {"{not json", "not valid JSON"},
      {"[]", "\"operators\" list"},
      {R"({"operators": [{"roles": []}]})", "operators[0]: \"name\""},
      {R"({"operators": [{"name": "olu", "token_sha256": "xyz"}]})", "'olu'): \"token_sha256\""},
      {R"({"operators": [{"name": "olu", "token_sha256": ")" + hash +
           R"("}, {"name": "olu", "token_sha256": ")" + hash + R"("}]})",
       "operators[1]: 'olu' appears twice"},
      {R"({"operators": [{"name": "olu", "roles": "ops", "token_sha256": ")" + hash + R"("}]})",
       "\"roles\" must be a list"},
  };
  for (const Case& c : cases) {
    WriteText(path, c.text);
    absl::StatusOr<Operators> loaded = Operators::Load(path);
    ASSERT_FALSE(loaded.ok()) << c.text;
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    const std::string message(loaded.status().message());
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find(c.expect), std::string::npos) << message;
  }
  EXPECT_EQ(Operators::Load((dir.path() / "missing.json").string()).status().code(), absl::StatusCode::kNotFound);
}

TEST(OperatorsTest, OnlyABearerHeaderCarriesAToken) {
  EXPECT_EQ(BearerToken("Bearer tmn_abc"), "tmn_abc");
  EXPECT_EQ(BearerToken("Basic dXNlcg=="), "");
  EXPECT_EQ(BearerToken("tmn_abc"), "");
}

}  // namespace
}  // namespace tminus::control
