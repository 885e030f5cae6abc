// The real tminus-agent binary as a child process of a test: started with posix_spawn,
// its stderr kept in a file (shown when a test fails; asserted on only for what the agent
// can say nowhere else, such as why it refuses to start), stopped by pid with SIGTERM and,
// when that does not work within the bound, SIGKILL; or killed outright, as a crash or the
// OOM killer would.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace tminus::agent::testing {

class AgentProcess {
 public:
  explicit AgentProcess(const std::vector<std::string>& args) {
    char dir[] = "/tmp/tminus-agent-log-XXXXXX";
    if (mkdtemp(dir) != nullptr) log_dir_ = dir;
    log_path_ = log_dir_ + "/stderr";
    std::vector<std::string> argv = {TMINUS_AGENT_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> c_argv;
    for (std::string& arg : argv) c_argv.push_back(arg.data());
    c_argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int rc = posix_spawn(&pid_, TMINUS_AGENT_PATH, &actions, nullptr, c_argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      ADD_FAILURE() << "cannot start " << TMINUS_AGENT_PATH << ": " << strerror(rc);
      pid_ = -1;
      return;
    }
    pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  }

  ~AgentProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (pidfd_ >= 0) close(pidfd_);
    if (::testing::Test::HasFailure()) std::cerr << "--- agent log ---\n" << Log() << "---\n";
    unlink(log_path_.c_str());
    rmdir(log_dir_.c_str());
  }
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Waits for the agent to exit by itself; its exit code, or -1 (killed, or not within
  // `bound`).
  int WaitExit(std::chrono::milliseconds bound) {
    if (pid_ <= 0) return -1;
    if (pidfd_ >= 0) {
      pollfd p{pidfd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(bound.count())) != 1) return -1;
    }
    int status = 0;
    if (waitpid(pid_, &status, 0) != pid_) return -1;
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // SIGTERM, then the exit code (or -1 when it did not exit within `bound`).
  int Terminate(std::chrono::milliseconds bound) {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    return WaitExit(bound);
  }

  // SIGKILL, as a crash would end it: no chance to clean anything up. True once it is
  // reaped, killed by that signal.
  bool Kill() {
    if (pid_ <= 0) return false;
    kill(pid_, SIGKILL);
    int status = 0;
    if (waitpid(pid_, &status, 0) != pid_) return false;
    pid_ = -1;
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  }

  std::string Log() const {
    std::ifstream in(log_path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::string log_dir_;
  std::string log_path_;
};

}  // namespace tminus::agent::testing
