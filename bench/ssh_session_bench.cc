// build/tminus_bench_ssh_session: a command on a reused SSH session against the same
// command on a fresh connection (TCP, key exchange, host-key check, authentication), both
// to a real OpenSSH server started on loopback, in the same run. Prints each one's median
// and their ratio; the target is a reused session at least 10x faster.
//
// Usage: tminus_bench_ssh_session [--quick]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "ssh/ssh_connection.h"
#include "tests/ssh/sshd.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

bool RunTrue(tminus::ssh::Connection& c) {
  auto ch = c.Exec("exec true");
  if (!ch.ok()) return false;
  std::string out, err;
  return (*ch)->Finish(&out, &err, 30s) && (*ch)->exit_status() == 0;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int n = quick ? 10 : 100;
  char tmpl[] = "/tmp/tminus-bench-ssh-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  int rc = 0;
  {
    tminus::testing::Sshd sshd(dir);
    if (!sshd.ok()) {
      std::fprintf(stderr, "cannot start sshd: %s\n", sshd.why().c_str());
      std::filesystem::remove_all(dir);
      return 2;
    }
    tminus::ssh::Endpoint e;
    e.host = "127.0.0.1";
    e.port = sshd.port();
    e.user = sshd.user();
    e.identity = sshd.user_key();
    e.known_hosts = sshd.known_hosts();

    std::vector<double> fresh, reused;
    for (int i = 0; i < n; ++i) {
      const auto t0 = Clock::now();
      auto c = tminus::ssh::Connection::Open(e);
      if (!c.ok() || !RunTrue(**c)) {
        std::fprintf(stderr, "fresh connection failed: %s\n", c.ok() ? "the command failed" : std::string(c.status().message()).c_str());
        rc = 1;
        break;
      }
      c->reset();
      fresh.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    auto c = tminus::ssh::Connection::Open(e);
    if (rc == 0 && c.ok()) {
      RunTrue(**c);  // the first command on a session is not the one measured
      for (int i = 0; i < n; ++i) {
        const auto t0 = Clock::now();
        if (!RunTrue(**c)) {
          rc = 1;
          break;
        }
        reused.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    }
    if (rc == 0) {
      const double f = Median(fresh), r = Median(reused);
      std::printf("ssh session reuse, %d commands each ('exec true' as %s on loopback):\n", n,
                  sshd.user().c_str());
      std::printf("  fresh connection per command: p50 %.2f ms\n", f);
      std::printf("  reused session:               p50 %.2f ms\n", r);
      std::printf("  ratio fresh/reused: %.1fx (target >= 10x)\n", r > 0 ? f / r : 0.0);
    }
  }
  std::filesystem::remove_all(dir);
  return rc;
}
