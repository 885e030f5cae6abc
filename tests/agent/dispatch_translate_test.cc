// Dispatch <-> ActionRequest and ActionResult -> Result: every field carried, every
// malformed dispatch refused with a reason that quotes no value.
#include "agent/dispatch_translate.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace tminus::agent {
namespace {

v1::DispatchId Id(const std::string& step, uint32_t attempt, bool rollback = false) {
  v1::DispatchId id;
  id.set_run_id("run-1");
  id.set_step_id(step);
  id.set_attempt(attempt);
  id.set_host("agent-a");
  id.set_rollback(rollback);
  return id;
}

v1::Dispatch CommandDispatch(std::initializer_list<std::string> argv) {
  v1::Dispatch dispatch;
  *dispatch.mutable_id() = Id("copy-data", 2);
  dispatch.mutable_command();  // set, even with no arguments
  for (const std::string& arg : argv) dispatch.mutable_command()->add_argv(arg);
  return dispatch;
}

TEST(DispatchTranslateTest, CommandDispatchBecomesARequestWithEveryField) {
  v1::Dispatch dispatch = CommandDispatch({"/usr/bin/rsync", "-a", "src", "dst"});
  v1::EnvVar* env = dispatch.add_env();
  env->set_name("PGPASSWORD");
  env->set_value("s3cret");
  dispatch.set_timeout_ms(1500);
  dispatch.set_expect_exit_code(3);
  dispatch.set_expect_stdout_contains("done");
  dispatch.add_redact("s3cret");

  absl::StatusOr<ActionRequest> request = ToActionRequest(dispatch);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->dispatch_id, AttemptKey(dispatch.id()));
  EXPECT_EQ(request->step_id, "copy-data");
  EXPECT_EQ(request->attempt, 2);
  EXPECT_FALSE(request->rollback);
  EXPECT_EQ(request->target, "agent-a");
  EXPECT_EQ(request->kind, Action::Kind::kCommand);
  EXPECT_EQ(request->argv, (std::vector<std::string>{"/usr/bin/rsync", "-a", "src", "dst"}));
  ASSERT_EQ(request->env.size(), 1u);
  EXPECT_EQ(request->env[0].first, "PGPASSWORD");
  EXPECT_EQ(request->env[0].second, "s3cret");
  EXPECT_EQ(request->timeout, Millis(1500));
  EXPECT_EQ(request->expect_exit_code, 3);
  EXPECT_EQ(request->expect_stdout_contains, "done");
  EXPECT_EQ(request->secret_values, std::vector<std::string>{"s3cret"});
}

TEST(DispatchTranslateTest, ShellAndProbesBecomeTheirKinds) {
  v1::Dispatch shell;
  *shell.mutable_id() = Id("s", 1, true);
  shell.mutable_shell()->set_script("echo hi | wc -c");
  absl::StatusOr<ActionRequest> request = ToActionRequest(shell);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->kind, Action::Kind::kShell);
  EXPECT_EQ(request->shell, "echo hi | wc -c");
  EXPECT_TRUE(request->rollback);

  v1::Dispatch tcp;
  *tcp.mutable_id() = Id("t", 1);
  tcp.mutable_probe()->mutable_tcp()->set_address("10.0.0.5:1521");
  request = ToActionRequest(tcp);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->kind, Action::Kind::kProbe);
  EXPECT_EQ(request->probe.kind, Probe::Kind::kTcp);
  EXPECT_EQ(request->probe.address.value, "10.0.0.5:1521");

  v1::Dispatch http;
  *http.mutable_id() = Id("h", 1);
  http.mutable_probe()->mutable_http()->set_url("http://app/health");
  request = ToActionRequest(http);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->probe.kind, Probe::Kind::kHttp);
  EXPECT_EQ(request->probe.url.value, "http://app/health");
  EXPECT_EQ(request->probe.status.value, 200) << "an unset status expects 200";
  http.mutable_probe()->mutable_http()->set_expect_status(204);
  EXPECT_EQ(ToActionRequest(http)->probe.status.value, 204);

  v1::Dispatch dns;
  *dns.mutable_id() = Id("d", 1);
  dns.mutable_probe()->mutable_dns()->set_name("db.internal");
  dns.mutable_probe()->mutable_dns()->set_expect("10.0.0.7");
  request = ToActionRequest(dns);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->probe.kind, Probe::Kind::kDns);
  EXPECT_EQ(request->probe.name.value, "db.internal");
  EXPECT_EQ(request->probe.expect.value, "10.0.0.7");
}

struct InvalidCase {
  const char* what;
  v1::Dispatch dispatch;
  const char* error_contains;
};

TEST(DispatchTranslateTest, MalformedDispatchesAreRefusedWithTheReason) {
  std::vector<InvalidCase> cases;
  const auto add = [&cases](const char* what, v1::Dispatch d, const char* error) {
    cases.push_back({what, std::move(d), error});
  };
  v1::Dispatch d = CommandDispatch({"true"});
  d.clear_id();
  add("no id", d, "has no id");
  d = CommandDispatch({"true"});
  d.mutable_id()->clear_step_id();
  add("no step", d, "no step_id");
  d = CommandDispatch({"true"});
  d.mutable_id()->set_attempt(0);
  add("attempt 0", d, "attempt is 0");
  d = CommandDispatch({});
  d.clear_command();
  add("no action", d, "no action");
  add("empty argv", CommandDispatch({}), "argv is empty");
  add("empty program", CommandDispatch({"", "x"}), "argv[0]");
  add("NUL in argv", CommandDispatch({"echo", std::string("se\0cret", 7)}),
      "argv[1] contains a NUL");
  d = CommandDispatch({});
  d.mutable_shell()->set_script("");
  add("empty shell", d, "shell script is empty");
  d = CommandDispatch({});
  d.mutable_probe();
  add("probe without kind", d, "probe has no kind");
  d = CommandDispatch({});
  d.mutable_probe()->mutable_tcp();
  add("tcp without address", d, "no address");
  d = CommandDispatch({});
  d.mutable_probe()->mutable_http();
  add("http without url", d, "no url");
  d = CommandDispatch({});
  d.mutable_probe()->mutable_http()->set_url("http://x/");
  d.mutable_probe()->mutable_http()->set_expect_status(-1);
  add("http with a negative status", d, "not an HTTP status");
  d = CommandDispatch({});
  d.mutable_probe()->mutable_dns();
  add("dns without name", d, "no name");
  d = CommandDispatch({"true"});
  d.add_env()->set_value("v");
  add("env without name", d, "env[0] has no name");
  d = CommandDispatch({"true"});
  d.add_env()->set_name("A");
  d.add_env()->set_name("B=C");
  add("env name with =", d, "env[1] has a name with '='");
  d = CommandDispatch({"true"});
  d.add_env()->set_name("A");
  d.mutable_env(0)->set_value(std::string("x\0y", 3));
  add("env value with NUL", d, "env[0] has a NUL byte");

  for (const InvalidCase& c : cases) {
    absl::StatusOr<ActionRequest> request = ToActionRequest(c.dispatch);
    ASSERT_FALSE(request.ok()) << c.what;
    EXPECT_TRUE(absl::IsInvalidArgument(request.status())) << c.what;
    EXPECT_NE(std::string(request.status().message()).find(c.error_contains), std::string::npos)
        << c.what << ": " << request.status();
  }
}

TEST(DispatchTranslateTest, RefusalsNeverQuoteArgvOrEnvValues) {
  v1::Dispatch d = CommandDispatch({"", "--password=hunter2"});
  d.add_env()->set_name("TOKEN");
  d.mutable_env(0)->set_value(std::string("abc\0def", 7));
  absl::StatusOr<ActionRequest> request = ToActionRequest(d);
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(std::string(request.status().message()).find("hunter2"), std::string::npos);
  d = CommandDispatch({"true"});
  d.add_env()->set_name("TOKEN");
  d.mutable_env(0)->set_value(std::string("abc\0def", 7));
  request = ToActionRequest(d);
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(std::string(request.status().message()).find("abc"), std::string::npos);
}

TEST(DispatchTranslateTest, AttemptKeyTellsEveryFieldApart) {
  std::set<std::string> keys;
  const v1::DispatchId base = Id("step", 1);
  keys.insert(AttemptKey(base));
  v1::DispatchId other = base;
  other.set_run_id("run-2");
  keys.insert(AttemptKey(other));
  other = base;
  other.set_step_id("step2");
  keys.insert(AttemptKey(other));
  other = base;
  other.set_attempt(2);
  keys.insert(AttemptKey(other));
  other = base;
  other.set_host("agent-b");
  keys.insert(AttemptKey(other));
  other = base;
  other.set_rollback(true);
  keys.insert(AttemptKey(other));
  // Text moved from one field to the next must not collide.
  v1::DispatchId a;
  a.set_run_id("ab");
  a.set_step_id("c");
  v1::DispatchId b;
  b.set_run_id("a");
  b.set_step_id("bc");
  keys.insert(AttemptKey(a));
  keys.insert(AttemptKey(b));
  EXPECT_EQ(keys.size(), 8u);
  EXPECT_EQ(AttemptKey(base), AttemptKey(Id("step", 1)));
}

TEST(DispatchTranslateTest, AttemptLabelIsStepAndAttempt) {
  EXPECT_EQ(AttemptLabel(Id("copy-data", 1)), "copy-data#1");
  EXPECT_EQ(AttemptLabel(Id("copy-data", 2, true)), "copy-data#rollback2");
}

TEST(DispatchTranslateTest, ResultCarriesTheOutcome) {
  ActionResult outcome;
  outcome.ok = false;
  outcome.exit_code = 3;
  outcome.error = "exit code 3, expected 0";
  outcome.duration = Millis(1234);
  outcome.stdout_tail = "out\n";
  outcome.stderr_tail = std::string("err\0\xff", 5);
  const v1::Result result = ToResult(Id("s", 1), outcome, 0, 1700000000123);
  EXPECT_EQ(result.id().step_id(), "s");
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.exit_code(), 3);
  EXPECT_FALSE(result.timed_out());
  EXPECT_FALSE(result.cancelled());
  EXPECT_EQ(result.error(), "exit code 3, expected 0");
  EXPECT_EQ(result.duration_ms(), 1234u);
  EXPECT_EQ(result.stdout_tail(), "out\n");
  EXPECT_EQ(result.stderr_tail(), std::string("err\0\xff", 5)) << "bytes, as they came";
  EXPECT_EQ(result.finished_unix_ms(), 1700000000123);
  EXPECT_FALSE(result.redelivered());

  outcome.timed_out = true;
  outcome.exit_code = -1;
  EXPECT_TRUE(ToResult(Id("s", 1), outcome, 0, 0).timed_out());
  outcome.timed_out = false;
  outcome.cancelled = true;
  EXPECT_TRUE(ToResult(Id("s", 1), outcome, 0, 0).cancelled());
}

TEST(DispatchTranslateTest, FailedResultHasNoExitCode) {
  const v1::Result result = FailedResult(Id("s", 1), "invalid dispatch: argv is empty", 5);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.exit_code(), -1);
  EXPECT_EQ(result.error(), "invalid dispatch: argv is empty");
  EXPECT_EQ(result.finished_unix_ms(), 5);
}

TEST(DispatchTranslateTest, CapTailKeepsTheEndAndCountsWhatWasDropped) {
  EXPECT_EQ(CapTail("abcdef", 0), "abcdef");
  EXPECT_EQ(CapTail("abcdef", 6), "abcdef");
  EXPECT_EQ(CapTail("abcdef", 2), "[tminus: 4 earlier bytes not kept]\nef");
  // The executor's own count is carried on.
  EXPECT_EQ(CapTail("[tminus: 100 earlier bytes not kept]\nabcdef", 3),
            "[tminus: 103 earlier bytes not kept]\ndef");
  EXPECT_EQ(CapTail("[tminus: 100 earlier bytes not kept]\nabc", 3),
            "[tminus: 100 earlier bytes not kept]\nabc");
  // Text that only looks like the marker is output like any other.
  EXPECT_EQ(CapTail("[tminus: x earlier bytes not kept]\nab", 2),
            "[tminus: 35 earlier bytes not kept]\nab");
}

TEST(DispatchTranslateTest, ResultTailsAreCutToTheDispatchCap) {
  ActionResult outcome;
  outcome.stdout_tail = "0123456789";
  outcome.stderr_tail = "abc";
  const v1::Result result = ToResult(Id("s", 1), outcome, 4, 0);
  EXPECT_EQ(result.stdout_tail(), "[tminus: 6 earlier bytes not kept]\n6789");
  EXPECT_EQ(result.stderr_tail(), "abc");
}

TEST(DispatchTranslateTest, OutcomeDescriptionsQuoteNothing) {
  v1::Result result;
  result.set_ok(true);
  EXPECT_EQ(DescribeOutcome(result), "ok");
  result.set_ok(false);
  result.set_exit_code(3);
  result.set_error("stdout does not contain 'secret'");
  EXPECT_EQ(DescribeOutcome(result), "failed (exit code 3)");
  result.set_exit_code(-1);
  EXPECT_EQ(DescribeOutcome(result), "failed");
  result.set_timed_out(true);
  EXPECT_EQ(DescribeOutcome(result), "timed out");
  result.set_timed_out(false);
  result.set_cancelled(true);
  EXPECT_EQ(DescribeOutcome(result), "cancelled");
}

}  // namespace
}  // namespace tminus::agent
