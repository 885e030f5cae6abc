#include "tests/ssh/sshd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

#include "tests/ssh/sshd_suite.h"

namespace tminus::testing {
namespace {

constexpr char kAccount[] = "tminus-ssh";

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool Run(const std::string& command) { return std::system(command.c_str()) == 0; }

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

bool Listening(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

}  // namespace

Sshd::Sshd(const std::string& dir) : dir_(dir) {
  if (access("/usr/sbin/sshd", X_OK) != 0) {
    why_ = "no /usr/sbin/sshd (install openssh-server)";
    return;
  }
  const bool root = getuid() == 0;
  if (root) {
    if (getpwnam(kAccount) == nullptr && !Run(std::string("useradd -m -s /bin/sh ") + kAccount + " 2>/dev/null") &&
        getpwnam(kAccount) == nullptr) {
      why_ = "cannot create the test account";
      return;
    }
    // useradd leaves the password locked ('!'), which sshd takes as a locked account even
    // for key logins; '*' means no password, not locked.
    Run(std::string("usermod -p '*' ") + kAccount);
    user_ = kAccount;
    Run("install -d -m 0755 /run/sshd");
  } else {
    const passwd* me = getpwuid(getuid());
    user_ = me != nullptr ? me->pw_name : "";
  }
  const std::string keygen = "ssh-keygen -q -t ed25519 -N '' -f ";
  if (!Run(keygen + dir + "/host_key") || !Run(keygen + dir + "/other_host_key") ||
      !Run(keygen + dir + "/user_key") || !Run(keygen + dir + "/stranger_key")) {
    why_ = "ssh-keygen failed";
    return;
  }
  user_key_ = dir + "/user_key";
  stranger_key_ = dir + "/stranger_key";
  Write(dir + "/authorized_keys", Slurp(dir + "/user_key.pub"));
  chmod((dir + "/authorized_keys").c_str(), 0644);
  chmod(dir.c_str(), 0755);
  port_ = FreePort();
  const std::string config = dir + "/sshd_config";
  Write(config, "ListenAddress 127.0.0.1\nPort " + std::to_string(port_) + "\nHostKey " + dir +
                    "/host_key\nAuthorizedKeysFile " + dir + "/authorized_keys\nUsePAM no\n"
                    "StrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                    "PidFile " + dir + "/sshd.pid\nMaxStartups 100:30:200\nMaxSessions 100\n"
                    "LogLevel ERROR\nSubsystem sftp /usr/lib/openssh/sftp-server\n");
  const auto host_line = [](int port, const std::string& pub) {
    std::istringstream in(pub);
    std::string type, key;
    in >> type >> key;
    return "[127.0.0.1]:" + std::to_string(port) + " " + type + " " + key + "\n";
  };
  known_hosts_ = dir + "/known_hosts";
  wrong_known_hosts_ = dir + "/wrong_known_hosts";
  empty_known_hosts_ = dir + "/empty_known_hosts";
  Write(known_hosts_, host_line(port_, Slurp(dir + "/host_key.pub")));
  Write(wrong_known_hosts_, host_line(port_, Slurp(dir + "/other_host_key.pub")));
  Write(empty_known_hosts_, "");
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string log = dir + "/sshd.log";
    freopen(log.c_str(), "w", stderr);
    execl("/usr/sbin/sshd", "/usr/sbin/sshd", "-D", "-e", "-f", config.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  pid_ = pid;
  for (int i = 0; i < 200 && !Listening(port_); ++i) {
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      why_ = "sshd exited: " + Slurp(dir + "/sshd.log");
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  if (!Listening(port_)) why_ = "sshd does not listen: " + Slurp(dir + "/sshd.log");
}

Sshd::~Sshd() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status;
  waitpid(pid_, &status, 0);
}

}  // namespace tminus::testing

namespace tminus::testing {

void SshdSuite::SetUpTestSuite() {
  char tmpl[] = "/tmp/tminus-sshd-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  ASSERT_NE(dir, nullptr) << "cannot make a folder for the sshd: " << std::strerror(errno);
  dir_ = std::make_unique<std::string>(dir);
  sshd_ = std::make_unique<Sshd>(*dir_);
  std::error_code ec;
  std::filesystem::create_directory(*dir_ + "/scratch", ec);
  ASSERT_FALSE(ec) << "cannot make " << *dir_ << "/scratch: " << ec.message();
  std::filesystem::permissions(*dir_ + "/scratch", std::filesystem::perms::all, ec);
  ASSERT_FALSE(ec) << "cannot open " << *dir_ << "/scratch to the test account: " << ec.message();
}

void SshdSuite::TearDownTestSuite() {
  sshd_.reset();
  if (dir_) {
    std::error_code ignored;
    std::filesystem::remove_all(*dir_, ignored);
  }
  dir_.reset();
}

void SshdSuite::SetUp() {
  ASSERT_NE(sshd_, nullptr) << "the suite's sshd was never set up";
  ASSERT_TRUE(sshd_->ok()) << sshd_->why();
}

}  // namespace tminus::testing
