// SSH connections against a real OpenSSH server on loopback: commands and exit codes,
// strict host-key checking (unknown and changed keys refused, naming the fingerprint), a
// key the server does not accept, hostile arguments arriving verbatim, several commands
// at once on one session, and a signal that stops a command.
#include "ssh/ssh_connection.h"

#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/executors/remote_command.h"
#include "tests/ssh/sshd_suite.h"

namespace tminus::ssh {
namespace {

using namespace std::chrono_literals;

class SshConnectionTest : public tminus::testing::SshdSuite {
 protected:
  Endpoint Good() const {
    Endpoint e;
    e.host = "127.0.0.1";
    e.port = sshd_->port();
    e.user = sshd_->user();
    e.identity = sshd_->user_key();
    e.known_hosts = sshd_->known_hosts();
    e.connect_timeout = 10s;
    return e;
  }

  // Runs `argv` (quoted as the executor quotes it) to its end.
  struct Outcome {
    std::string out, err;
    int exit_status = -1;
  };
  static Outcome Run(Connection& c, const std::vector<std::string>& argv) {
    ActionRequest request;
    request.argv = argv;
    absl::StatusOr<std::string> line = RemoteCommandLine(request);
    EXPECT_TRUE(line.ok());
    absl::StatusOr<std::unique_ptr<Channel>> ch = c.Exec(*line);
    EXPECT_TRUE(ch.ok()) << ch.status();
    Outcome o;
    if (!ch.ok()) return o;
    EXPECT_TRUE((*ch)->Finish(&o.out, &o.err, 20s));
    o.exit_status = (*ch)->exit_status();
    return o;
  }
};

TEST_F(SshConnectionTest, RunsCommandsAndReportsTheirExitCodesAndOutput) {
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(Good());
  ASSERT_TRUE(c.ok()) << c.status();
  Outcome ok = Run(**c, {"sh", "-c", "echo out; echo err >&2; exit 0"});
  EXPECT_EQ(ok.exit_status, 0);
  EXPECT_EQ(ok.out, "out\n");
  EXPECT_EQ(ok.err, "err\n");
  Outcome three = Run(**c, {"sh", "-c", "exit 3"});
  EXPECT_EQ(three.exit_status, 3);
  Outcome missing = Run(**c, {"/no/such/program"});
  EXPECT_EQ(missing.exit_status, 127);
  EXPECT_FALSE(missing.err.empty());
}

TEST_F(SshConnectionTest, HostileArgumentsArriveVerbatim) {
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(Good());
  ASSERT_TRUE(c.ok()) << c.status();
  const std::vector<std::string> hostile = {"it's", "; touch /tmp/tminus-pwned", "$(id)", "`id`",
                                            "a\nb", "*", "$HOME", "\"q\"", "", "&& false"};
  std::vector<std::string> argv = {"printf", "[%s]\\n"};
  argv.insert(argv.end(), hostile.begin(), hostile.end());
  Outcome o = Run(**c, argv);
  std::string expected;
  for (const std::string& h : hostile) expected += "[" + h + "]\n";
  EXPECT_EQ(o.out, expected);
  EXPECT_EQ(o.exit_status, 0);
  EXPECT_FALSE(std::filesystem::exists("/tmp/tminus-pwned"));
}

TEST_F(SshConnectionTest, SeveralCommandsRunAtOnceOnOneSession) {
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(Good());
  ASSERT_TRUE(c.ok()) << c.status();
  std::vector<std::unique_ptr<Channel>> channels;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<std::unique_ptr<Channel>> ch = (*c)->Exec("sleep 1; echo " + std::to_string(i));
    ASSERT_TRUE(ch.ok()) << ch.status();
    channels.push_back(std::move(*ch));
  }
  for (int i = 0; i < 5; ++i) {
    std::string out, err;
    ASSERT_TRUE(channels[i]->Finish(&out, &err, 20s));
    EXPECT_EQ(out, std::to_string(i) + "\n");
    EXPECT_EQ(channels[i]->exit_status(), 0);
  }
  // Five one-second sleeps together, not one after another.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4500ms);
}

TEST_F(SshConnectionTest, AnUnknownHostKeyIsRefusedNamingTheFingerprint) {
  Endpoint e = Good();
  e.known_hosts = sshd_->empty_known_hosts();
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(e);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kPermissionDenied);
  const std::string message(c.status().message());
  EXPECT_NE(message.find("127.0.0.1:" + std::to_string(sshd_->port())), std::string::npos) << message;
  EXPECT_NE(message.find("ssh-ed25519 SHA256:"), std::string::npos) << message;
  EXPECT_NE(message.find("tminus ssh trust"), std::string::npos) << message;
  // The probe reads the same key without trusting it, and offers the line that would.
  absl::StatusOr<HostKey> key = Connection::ProbeHostKey(e);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->known, HostKey::Known::kUnknown);
  EXPECT_NE(message.find(key->fingerprint), std::string::npos);
  EXPECT_NE(key->known_hosts_line.find("[127.0.0.1]:" + std::to_string(sshd_->port())), std::string::npos)
      << key->known_hosts_line;
}

TEST_F(SshConnectionTest, AChangedHostKeyIsRefused) {
  Endpoint e = Good();
  e.known_hosts = sshd_->wrong_known_hosts();
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(e);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(std::string(c.status().message()).find("HAS CHANGED"), std::string::npos) << c.status();
}

TEST_F(SshConnectionTest, AKeyTheServerDoesNotAcceptIsRefused) {
  Endpoint e = Good();
  e.identity = sshd_->stranger_key();
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(e);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(std::string(c.status().message()).find("refused " + sshd_->user()), std::string::npos)
      << c.status();
  e.identity = *dir_ + "/no-such-key";
  c = Connection::Open(e);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message()).find("cannot read the SSH key"), std::string::npos);
}

TEST_F(SshConnectionTest, NothingListeningIsUnavailable) {
  Endpoint e = Good();
  e.port = 1;
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(e);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(std::string(c.status().message()).find("cannot connect to 127.0.0.1:1"), std::string::npos);
}

TEST_F(SshConnectionTest, AServerThatNeverAnswersTimesOut) {
  // A listener that accepts connections and never sends SSH's banner.
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  Endpoint e = Good();
  e.port = ntohs(addr.sin_port);
  e.connect_timeout = 2s;
  const auto started = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(e);
  const auto took = std::chrono::steady_clock::now() - started;
  close(listener);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable) << c.status();
  EXPECT_GE(took, 1500ms);
  EXPECT_LT(took, 10s);
}

TEST_F(SshConnectionTest, ASignalStopsARunningCommand) {
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(Good());
  ASSERT_TRUE(c.ok()) << c.status();
  absl::StatusOr<std::unique_ptr<Channel>> ch = (*c)->Exec("exec sleep 60");
  ASSERT_TRUE(ch.ok());
  std::string out, err;
  (*c)->Wait(300ms);
  (*ch)->Read(&out, &err);
  (*ch)->SendSignal("KILL");
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE((*ch)->Finish(&out, &err, 10s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_EQ((*ch)->signal(), "KILL");
}

}  // namespace
}  // namespace tminus::ssh
