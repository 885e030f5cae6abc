// The state directory on real files: records and acknowledged ids written by one StateDir
// and read back by the next, damaged files of every kind moved aside without losing the
// others, leftovers of interrupted writes, the lock, and what an action summary may show.
#include "agent/state_dir.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/attempt_recorder.h"
#include "agent/state_file.h"
#include "tests/temp_dir.h"

namespace tminus::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using tminus::testing::Names;
using tminus::testing::ReadText;
using tminus::testing::WriteText;

v1::DispatchId Id(const std::string& step, uint32_t attempt = 1) {
  v1::DispatchId id;
  id.set_run_id("run-1");
  id.set_step_id(step);
  id.set_attempt(attempt);
  id.set_host("agent-a");
  return id;
}

v1::AttemptRecord Running(const std::string& step, int64_t started) {
  v1::AttemptRecord record;
  *record.mutable_id() = Id(step);
  record.set_action("command /usr/bin/pg_dump with 3 arguments");
  record.set_started_unix_ms(started);
  record.set_agent_pid(4242);
  record.mutable_process_group()->set_pgid(5151);
  record.mutable_process_group()->set_session_id(4000);
  record.mutable_process_group()->set_leader_start_ticks(123456);
  record.mutable_process_group()->set_boot_id("boot");
  return record;
}

v1::AttemptRecord Finished(const std::string& step, int64_t finished) {
  v1::AttemptRecord record = Running(step, finished - 10);
  v1::Result& result = *record.mutable_result();
  *result.mutable_id() = Id(step);
  result.set_exit_code(3);
  result.set_error("exit code 3, expected 0");
  // Bytes, not text: a cut can fall inside a character, and programs print anything.
  std::string tail = "line\n";
  tail += '\0';
  tail += "\xff\xfe tail \"quoted\"\n";
  result.set_stdout_tail(tail);
  result.set_stderr_tail("err\n");
  result.set_finished_unix_ms(finished);
  return record;
}

std::vector<std::string> Steps(const std::vector<v1::AttemptRecord>& records) {
  std::vector<std::string> steps;
  for (const v1::AttemptRecord& record : records) steps.push_back(record.id().step_id());
  return steps;
}

std::vector<std::string> Steps(const std::vector<v1::DispatchId>& ids) {
  std::vector<std::string> steps;
  for (const v1::DispatchId& id : ids) steps.push_back(id.step_id());
  return steps;
}

class StateDirTest : public ::testing::Test {
 protected:
  std::unique_ptr<StateDir> Open(StateDirOptions options = {}) {
    absl::StatusOr<std::unique_ptr<StateDir>> state = StateDir::Open(path_, options);
    if (!state.ok()) {
      ADD_FAILURE() << state.status();
      return nullptr;
    }
    return *std::move(state);
  }
  // A new StateDir on the directory, as the next agent process would open it.
  StateDir::Contents Reload(StateDirOptions options = {}) {
    std::unique_ptr<StateDir> state = Open(options);
    if (state == nullptr) return {};
    absl::StatusOr<StateDir::Contents> contents = state->Load();
    if (!contents.ok()) {
      ADD_FAILURE() << contents.status();
      return {};
    }
    return *std::move(contents);
  }
  std::string Attempts() const { return path_ + "/attempts"; }

  tminus::testing::TempDir tmp_{"state-dir"};
  const std::string path_ = tmp_.File("state");
};

TEST_F(StateDirTest, RecordsRoundTripAndComeBackFinishedFirst) {
  {
    std::unique_ptr<StateDir> state = Open();
    ASSERT_NE(state, nullptr);
    struct stat st;
    ASSERT_EQ(stat(path_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u) << "created private";
    ASSERT_TRUE(state->Load().ok());
    ASSERT_TRUE(state->Save(Running("copy", 1000)).ok());
    ASSERT_TRUE(state->Save(Finished("late", 3000)).ok());
    ASSERT_TRUE(state->Save(Finished("early", 2000)).ok());
    v1::AttemptRecord replaced = Running("copy", 1000);
    replaced.mutable_process_group()->set_pgid(6161);
    ASSERT_TRUE(state->Save(replaced).ok()) << "a record is rewritten in place";
  }
  const StateDir::Contents contents = Reload();
  EXPECT_THAT(contents.notes, IsEmpty());
  EXPECT_EQ(Steps(contents.attempts), (std::vector<std::string>{"early", "late", "copy"}));
  ASSERT_EQ(contents.attempts.size(), 3u);
  EXPECT_EQ(contents.attempts[0].SerializeAsString(), Finished("early", 2000).SerializeAsString())
      << contents.attempts[0].DebugString();
  EXPECT_EQ(contents.attempts[2].process_group().pgid(), 6161);
  EXPECT_FALSE(contents.attempts[2].has_result());
  EXPECT_EQ(Names(Attempts()).size(), 3u);
}

TEST_F(StateDirTest, AFileIsFramedReadableAndPrivate) {
  std::unique_ptr<StateDir> state = Open();
  ASSERT_NE(state, nullptr);
  ASSERT_TRUE(state->Save(Running("copy-data", 1000)).ok());
  const std::string file = state->AttemptPath(Id("copy-data"));
  EXPECT_THAT(file, HasSubstr("/attempts/copy-data.1."));
  const std::string text = ReadText(file);
  EXPECT_EQ(text.rfind("tminus-agent-state 1 attempt\nsha256 ", 0), 0u) << text;
  EXPECT_THAT(text, HasSubstr("step_id: \"copy-data\""));
  EXPECT_THAT(text, HasSubstr("pgid: 5151"));
  struct stat st;
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(state->AttemptPath(Id("copy-data", 2)), file);
  v1::DispatchId rollback = Id("copy-data");
  rollback.set_rollback(true);
  EXPECT_THAT(state->AttemptPath(rollback), HasSubstr("/copy-data.rollback1."));
  // A step id is not a path.
  EXPECT_THAT(state->AttemptPath(Id("../../etc/x")), HasSubstr("/attempts/______etc_x.1."));
}

TEST_F(StateDirTest, ForgetRemovesTheRecord) {
  std::unique_ptr<StateDir> state = Open();
  ASSERT_NE(state, nullptr);
  ASSERT_TRUE(state->Save(Finished("a", 2000)).ok());
  ASSERT_TRUE(state->Forget(Id("a")).ok());
  EXPECT_THAT(Names(Attempts()), IsEmpty());
  EXPECT_TRUE(state->Forget(Id("a")).ok()) << "already gone is fine";
}

TEST_F(StateDirTest, AcknowledgedIdsComeBackOldestFirstAndBounded) {
  StateDirOptions options;
  options.remembered_acks = 3;
  {
    std::unique_ptr<StateDir> state = Open(options);
    ASSERT_NE(state, nullptr);
    ASSERT_TRUE(state->Load().ok());
    for (const char* step : {"a", "b", "c", "d", "e", "f", "g", "h"}) {
      ASSERT_TRUE(state->Acknowledge(Id(step)).ok()) << step;
    }
  }
  // Compacted when it held twice the bound: never more than that plus the header.
  const std::string written = ReadText(path_ + "/acknowledged");
  EXPECT_LE(std::count(written.begin(), written.end(), '\n'), 7);
  StateDir::Contents contents = Reload(options);
  EXPECT_THAT(contents.notes, IsEmpty());
  EXPECT_EQ(Steps(contents.acknowledged), (std::vector<std::string>{"f", "g", "h"}));
}

TEST_F(StateDirTest, ARecordWhoseIdWasAcknowledgedIsRemovedOnLoad) {
  {
    std::unique_ptr<StateDir> state = Open();
    ASSERT_NE(state, nullptr);
    ASSERT_TRUE(state->Load().ok());
    ASSERT_TRUE(state->Save(Finished("a", 2000)).ok());
    ASSERT_TRUE(state->Save(Finished("b", 2000)).ok());
    ASSERT_TRUE(state->Acknowledge(Id("a")).ok());  // and the process dies before Forget
  }
  const StateDir::Contents contents = Reload();
  EXPECT_EQ(Steps(contents.attempts), std::vector<std::string>{"b"});
  EXPECT_EQ(Steps(contents.acknowledged), std::vector<std::string>{"a"});
  ASSERT_EQ(contents.notes.size(), 1u);
  EXPECT_THAT(contents.notes[0], HasSubstr("its result had been acknowledged"));
  EXPECT_EQ(Names(Attempts()).size(), 1u);
}

TEST_F(StateDirTest, DamagedRecordsAreMovedAsideAndTheOthersRead) {
  std::string good_file;
  {
    std::unique_ptr<StateDir> state = Open();
    ASSERT_NE(state, nullptr);
    ASSERT_TRUE(state->Save(Finished("good", 2000)).ok());
    ASSERT_TRUE(state->Save(Finished("other", 2500)).ok());
    good_file = state->AttemptPath(Id("good"));
  }
  const std::string good = ReadText(good_file);
  const std::string other_file = Attempts() + "/" + Names(Attempts())[1];
  std::string flipped = good;
  flipped[flipped.size() - 3] ^= 1;  // one bit of the body
  std::string newer = good;
  newer.replace(0, 21, "tminus-agent-state 2 ");
  WriteText(Attempts() + "/bitflip.attempt", flipped);
  WriteText(Attempts() + "/empty.attempt", "");
  WriteText(Attempts() + "/garbage.attempt", std::string("\0\1\2garbage", 10));
  WriteText(Attempts() + "/newer.attempt", newer);
  WriteText(Attempts() + "/renamed.attempt", good);  // a whole record under another's name
  WriteText(Attempts() + "/truncated.attempt", good.substr(0, good.size() - 5));
  WriteText(Attempts() + "/longer.attempt", good + "more");
  WriteText(Attempts() + "/README", "not ours: left alone");

  const StateDir::Contents contents = Reload();
  EXPECT_EQ(Steps(contents.attempts), (std::vector<std::string>{"good", "other"}));
  EXPECT_EQ(Names(path_ + "/damaged"),
            (std::vector<std::string>{"bitflip.attempt", "empty.attempt", "garbage.attempt",
                                      "longer.attempt", "newer.attempt", "renamed.attempt",
                                      "truncated.attempt"}));
  EXPECT_EQ(ReadText(path_ + "/damaged/truncated.attempt"), good.substr(0, good.size() - 5));
  EXPECT_EQ(ReadText(good_file), good);
  EXPECT_EQ(ReadText(other_file).empty(), false);
  EXPECT_EQ(ReadText(Attempts() + "/README"), "not ours: left alone");

  std::string notes;
  for (const std::string& note : contents.notes) notes += note + "\n";
  EXPECT_EQ(contents.notes.size(), 7u) << notes;
  for (const char* expected : {"bitflip.attempt to ", "checksum mismatch", "empty.attempt to ",
                               ": empty", "garbage.attempt to ", "not a tminus-agent state file",
                               "version 2 (this agent reads "
                               "version 1)",
                               "renamed.attempt to ", "whose file has another name",
                               "truncated.attempt to ", "truncated: ", "bytes more than the"}) {
    EXPECT_THAT(notes, HasSubstr(expected));
  }

  // A second damaged file of the same name does not replace the first.
  WriteText(Attempts() + "/garbage.attempt", "again");
  EXPECT_EQ(Reload().notes.size(), 1u);
  EXPECT_EQ(ReadText(path_ + "/damaged/garbage.attempt.1"), "again");
}

TEST_F(StateDirTest, TheAcknowledgedFileSurvivesATornAppendAndADamagedEntry) {
  {
    std::unique_ptr<StateDir> state = Open();
    ASSERT_NE(state, nullptr);
    ASSERT_TRUE(state->Load().ok());
    for (const char* step : {"a", "b", "c"}) ASSERT_TRUE(state->Acknowledge(Id(step)).ok());
  }
  const std::string file = path_ + "/acknowledged";
  const std::string whole = ReadText(file);
  WriteText(file, whole + whole.substr(whole.find('\n') + 1, 20));  // cut mid-entry
  StateDir::Contents contents = Reload();
  EXPECT_EQ(Steps(contents.acknowledged), (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(contents.notes.size(), 1u);
  EXPECT_THAT(contents.notes[0], HasSubstr("ignored the incomplete last entry"));
  EXPECT_EQ(ReadText(file), whole) << "rewritten whole";
  {
    std::unique_ptr<StateDir> state = Open();
    ASSERT_TRUE(state->Load().ok());
    ASSERT_TRUE(state->Acknowledge(Id("d")).ok());
  }
  EXPECT_EQ(Steps(Reload().acknowledged), (std::vector<std::string>{"a", "b", "c", "d"}));

  // An entry changed in the middle: the file goes aside, the other entries are kept.
  std::string damaged = ReadText(file);
  const size_t second_entry = damaged.find('\n', damaged.find('\n') + 1) + 1;
  damaged[second_entry + 30] ^= 1;
  WriteText(file, damaged);
  contents = Reload();
  EXPECT_EQ(Steps(contents.acknowledged), (std::vector<std::string>{"a", "c", "d"}));
  ASSERT_EQ(contents.notes.size(), 1u);
  EXPECT_THAT(contents.notes[0], HasSubstr("1 of its 4 entries are damaged"));
  EXPECT_EQ(ReadText(path_ + "/damaged/acknowledged"), damaged);
  EXPECT_EQ(Steps(Reload().acknowledged), (std::vector<std::string>{"a", "c", "d"}));

  // Another version: nothing can be trusted, and the log says what that means.
  WriteText(file, "tminus-agent-state 2 acknowledged\n");
  contents = Reload();
  EXPECT_THAT(contents.acknowledged, IsEmpty());
  ASSERT_EQ(contents.notes.size(), 2u);
  EXPECT_THAT(contents.notes[0], HasSubstr("version 2"));
  EXPECT_THAT(contents.notes[1], HasSubstr("would run again"));
}

TEST_F(StateDirTest, LeftoversOfInterruptedWritesAreRemoved) {
  ASSERT_NE(Open(), nullptr);
  WriteText(Attempts() + "/.copy.1.abc.attempt.tmp-0123456789abcdef", "half");
  const StateDir::Contents contents = Reload();
  EXPECT_THAT(Names(Attempts()), IsEmpty());
  ASSERT_EQ(contents.notes.size(), 1u);
  EXPECT_THAT(contents.notes[0], HasSubstr("a write the previous process did not finish"));
}

TEST_F(StateDirTest, OpenRefusesWhatItCannotUse) {
  std::unique_ptr<StateDir> held = Open();
  ASSERT_NE(held, nullptr);
  absl::StatusOr<std::unique_ptr<StateDir>> second = StateDir::Open(path_ + "/");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().message(),
            absl::StrCat("the state directory ", path_, " is in use by another tminus-agent (PID ",
                         getpid(), "); each agent needs a state directory of its own"));
  held.reset();
  EXPECT_TRUE(StateDir::Open(path_).ok()) << "released with its holder";

  WriteText(tmp_.File("file"), "");
  absl::StatusOr<std::unique_ptr<StateDir>> file = StateDir::Open(tmp_.File("file"));
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().message(),
            absl::StrCat("the state directory ", tmp_.File("file"), " is not a directory"));

  absl::StatusOr<std::unique_ptr<StateDir>> nowhere = StateDir::Open(tmp_.File("no/such/dir"));
  ASSERT_FALSE(nowhere.ok());
  EXPECT_THAT(nowhere.status().message(), HasSubstr("cannot create the state directory"));
}

TEST_F(StateDirTest, OpenRefusesADirectoryItCannotWrite) {
  // /proc/self is a directory that not even root can create files in.
  absl::StatusOr<std::unique_ptr<StateDir>> proc = StateDir::Open("/proc/self");
  ASSERT_FALSE(proc.ok());
  EXPECT_THAT(proc.status().message(), HasSubstr("the state directory /proc/self is not writable"));

  if (geteuid() == 0) return;  // root writes whatever the mode
  const std::string locked = tmp_.File("read-only");
  ASSERT_EQ(mkdir(locked.c_str(), 0500), 0);
  absl::StatusOr<std::unique_ptr<StateDir>> read_only = StateDir::Open(locked);
  ASSERT_FALSE(read_only.ok());
  EXPECT_THAT(read_only.status().message(),
              HasSubstr("the state directory " + locked + " is not writable"));
}

TEST_F(StateDirTest, FramesSayWhatIsWrong) {
  const std::string framed = FrameStateFile("attempt", "body\n");
  EXPECT_EQ(*UnframeStateFile("attempt", framed), "body\n");
  EXPECT_EQ(UnframeStateFile("acknowledged", framed).status().message(),
            "kind 'attempt', expected 'acknowledged'");
  EXPECT_EQ(UnframeStateFile("attempt", framed.substr(0, framed.size() - 2)).status().message(),
            "truncated: 3 of 5 bytes");
  EXPECT_EQ(UnframeStateFile("attempt", "tminus-agent-state x attempt\n").status().message(),
            "not a tminus-agent state file (no version)");
  EXPECT_TRUE(absl::IsDataLoss(UnframeStateFile("attempt", "").status()));
}

TEST(ActionSummaryTest, ShowsWhatRunsButNoArgumentEnvOrSecret) {
  ActionRequest command;
  command.argv = {"/usr/bin/pg_dump", "--password=hunter2", "db"};
  command.env = {{"PGPASSWORD", "hunter2"}};
  command.secret_values = {"hunter2"};
  EXPECT_EQ(DescribeAction(command), "command /usr/bin/pg_dump with 2 arguments");
  command.argv = {"/opt/hunter2/bin/tool"};
  EXPECT_EQ(DescribeAction(command), "command ***");

  ActionRequest shell;
  shell.kind = Action::Kind::kShell;
  shell.shell = "echo $SECRET";
  EXPECT_EQ(DescribeAction(shell), "shell script (12 bytes)");

  ActionRequest probe;
  probe.kind = Action::Kind::kProbe;
  probe.probe.kind = Probe::Kind::kHttp;
  probe.probe.url.value = "http://db:8080/health?token=t0k3n";
  EXPECT_EQ(DescribeAction(probe), "probe http");
  probe.probe.kind = Probe::Kind::kTcp;
  probe.probe.address.value = "db-1:5432";
  EXPECT_EQ(DescribeAction(probe), "probe tcp db-1:5432");
}

}  // namespace
}  // namespace tminus::agent
