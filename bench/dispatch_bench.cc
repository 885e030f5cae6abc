// tminus_bench_dispatch: the dispatch round trip, from the coordinator dispatching a step
// to an agent, through the agent running it (`true`, argv form), to the result being
// durable in the coordinator's journal; p50 and p99 over a chain of steps on one agent.
//
// Two real processes on loopback, mutual TLS: this one is the coordinator (RunLive, the
// engine on the real clock with its journal and the AgentLink service, as `tminus run`
// runs it), and a copy of itself started with --far-side runs the real agent (RunAgent,
// as `tminus-agent` runs it). The baseline, measured between the same two processes in the
// same phase (before and after the run): a bare gRPC bidirectional-streaming echo, sent
// from this side with a message as long as a Dispatch and answered with one as long as a
// Result. Target: dispatch round trip at most 1.5x the echo's.
//
// Each result is durable only once the journal has synced it (SQLite WAL, synchronous=
// FULL): in a chain, the synced commit of the next step's dispatch. That fsync and the
// command's own start and exit are parts of the round trip the echo does not have, so
// the run is made twice, with the journal on the regular disk (TMPDIR) and on tmpfs
// (/dev/shm, where a sync costs almost nothing); the journal's synced commit is measured
// alone, and a second echo runs `true` on the far side (through the agent's executor)
// before it answers: the link and the command without the engine, the agent's protocol
// or the journal.
//
//   tminus_bench_dispatch [--quick] [--steps N] [--rounds R]
// N steps per journal place (default 2000) in R runs (default 4); --quick: one run of 40.
// Exits 1 when a step failed or a run did not succeed; targets are reported, not enforced.
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "agent/dispatch_translate.h"
#include "bench/agent_runbook_gen.h"
#include "bench/dispatch_phase.h"
#include "bench/echo_link.h"
#include "bench/far_side.h"
#include "bench/machine_load.h"
#include "coordinator/wire.h"
#include "engine/journal/journal.h"
#include "engine/loader/runbook_loader.h"
#include "engine/validate/validator.h"
#include "net/certs.h"
#include "net/link_args.h"

namespace tminus::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kTargetRatio = 1.5;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Summary {
  double p50 = 0;
  double p99 = 0;
  double mean = 0;
};

Summary Summarize(std::vector<double> samples) {
  Summary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  const auto at = [&samples](double p) {
    return samples[std::min(samples.size() - 1, static_cast<size_t>(p * samples.size()))];
  };
  s.p50 = at(0.50);
  s.p99 = at(0.99);
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / samples.size();
  return s;
}

void PrintRow(const char* what, const Summary& s) {
  std::printf("  %-44s %8.3f ms %8.3f ms %8.3f ms\n", what, s.p50, s.p99, s.mean);
}

void PrintRatio(const char* what, const Summary& a, const Summary& b) {
  std::printf("  %-44s %9.2fx %10.2fx %10.2fx\n", what, a.p50 / b.p50, a.p99 / b.p99,
              a.mean / b.mean);
}

// The file system a directory is on, for the output.
std::string FileSystem(const std::string& dir) {
  struct statfs fs{};
  if (statfs(dir.c_str(), &fs) != 0) return "?";
  switch (static_cast<unsigned long>(fs.f_type)) {
    case 0x01021994: return "tmpfs";
    case 0xEF53: return "ext4";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x794C7630: return "overlayfs";
    default: return "other";
  }
}

std::string MakeTempDir(const std::filesystem::path& parent) {
  std::string pattern = (parent / "tminus_bench_dispatch.XXXXXX").string();
  return mkdtemp(pattern.data()) == nullptr ? "" : pattern;
}

// The journal's synced commit on its own: Append(kSync) of a dispatch-sized record, into
// `ms` (a new journal file each call).
bool MeasureCommit(const std::string& path, int samples, std::vector<double>* ms) {
  auto journal = Journal::Create(path);
  if (!journal.ok()) return false;
  const std::string payload(160, 'x');
  for (int i = 0; i < samples; ++i) {
    const auto start = Clock::now();
    if (!(*journal)->Append(1714600800000 + i, "engine", "dispatch", payload, Durability::kSync).ok()) {
      return false;
    }
    ms->push_back(Ms(Clock::now() - start));
  }
  return true;
}

// Payload sizes that make a Ping as long as a Dispatch of a step of the runbook, and a Reply
// as long as the agent's Result for it.
void SizeMessages(const Runbook& runbook, const std::string& agent, PhaseSetup* setup,
                  size_t* dispatch_bytes, size_t* result_bytes) {
  ActionRequest request;
  request.step_id = runbook.steps.back().id.value;
  request.dispatch_id = request.step_id + "#1";
  request.target = runbook.steps.back().run->on.value;
  request.argv = {"true"};
  request.timeout = Millis(300000);
  const std::string run_id(16, 'f');
  *dispatch_bytes = ToDispatch(request, run_id, agent, 64 * 1024).ByteSizeLong();
  ActionResult outcome;
  outcome.ok = true;
  outcome.exit_code = 0;
  outcome.duration = Millis(1);
  *result_bytes =
      agent::ToResult(WireId(request, run_id, agent), outcome, 64 * 1024, 1714600800000).ByteSizeLong();
  while (EchoServer::PingSize(setup->ping_payload) < *dispatch_bytes) ++setup->ping_payload;
  while (EchoServer::ReplySize(setup->reply_payload) < *result_bytes) ++setup->reply_payload;
}

}  // namespace

int Main(int argc, char** argv) {
  int steps = 2000;
  int rounds = 4;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      steps = 40;
      rounds = 1;
    } else if (arg == "--steps" && i + 1 < argc && std::atoi(argv[i + 1]) >= 10) {
      steps = std::atoi(argv[++i]);
    } else if (arg == "--rounds" && i + 1 < argc && std::atoi(argv[i + 1]) >= 1) {
      rounds = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: tminus_bench_dispatch [--quick] [--steps N (>= 10)] [--rounds R]\n");
      return 2;
    }
  }
  // Each place gets `rounds` runs of per_run steps.
  const int per_run = std::max(10, steps / rounds);
  const int warmup = std::max(2, per_run / 100);

  const std::string disk_dir = MakeTempDir(std::filesystem::temp_directory_path());
  const bool have_shm = std::filesystem::is_directory("/dev/shm") && FileSystem("/dev/shm") == "tmpfs";
  const std::string shm_dir = have_shm ? MakeTempDir("/dev/shm") : "";
  if (disk_dir.empty() || (have_shm && shm_dir.empty())) {
    std::fprintf(stderr, "tminus_bench_dispatch: cannot create a temp dir\n");
    return 2;
  }
  const auto cleanup = [&] {
    std::error_code ec;
    std::filesystem::remove_all(disk_dir, ec);
    if (!shm_dir.empty()) std::filesystem::remove_all(shm_dir, ec);
  };

  AgentRunbookOptions shape;
  shape.agents = 1;
  shape.steps_per_agent = per_run;
  shape.chain = per_run;
  const std::string text = GenerateAgentRunbook(shape);
  Diagnostics diagnostics;
  Runbook runbook = LoadRunbook(text, &diagnostics);
  ValidateRunbook(runbook, {}, &diagnostics);
  if (diagnostics.has_errors()) {
    std::fprintf(stderr, "tminus_bench_dispatch: the generated runbook is invalid: %s\n",
                 diagnostics.all().front().message.c_str());
    cleanup();
    return 2;
  }
  const StepGraph graph = StepGraph::Build(runbook);

  net::CertsOptions certs;
  certs.agent_ids = {AgentId(0)};
  if (auto made = net::InitCertificates(disk_dir + "/certs", certs); !made.ok()) {
    std::fprintf(stderr, "tminus_bench_dispatch: %s\n", std::string(made.status().message()).c_str());
    cleanup();
    return 2;
  }

  PhaseSetup setup;
  setup.runbook = &runbook;
  setup.graph = &graph;
  setup.runbook_text = text;
  setup.certs_dir = disk_dir + "/certs";
  setup.agent_id = AgentId(0);
  setup.log_dir = disk_dir;
  setup.echo_samples = per_run / 2;
  size_t dispatch_bytes = 0;
  size_t result_bytes = 0;
  SizeMessages(runbook, setup.agent_id, &setup, &dispatch_bytes, &result_bytes);

  std::printf(
      "tminus dispatch benchmark: runs of %d steps in a chain on one agent, each `true` (argv),\n"
      "the coordinator (this process, RunLive) and the agent (a second process, RunAgent) on\n"
      "loopback over mutual TLS; %d run(s) per journal place, the places taking turns, each\n"
      "run with a new agent process and its echo before and after it; the first %d steps of\n"
      "each run are not counted.\n"
      "Dispatch %zu bytes, Result %zu bytes; the echo's Ping %zu bytes, Reply %zu bytes.\n",
      per_run, rounds, warmup, dispatch_bytes, result_bytes, EchoServer::PingSize(setup.ping_payload),
      EchoServer::ReplySize(setup.reply_payload));
  std::printf("Machine before: %s\n", MachineLoad().c_str());
  // The places take turns, a run each, so that both see the same machine: the disk's sync
  // latency and the processors' speed drift on a shared host.
  struct Place {
    const char* name;
    std::string dir;
    PhaseResult pooled;
    std::vector<double> commit_ms;
    bool ok = true;
  };
  std::vector<Place> places;
  places.push_back({"regular disk", disk_dir, {}, {}, true});
  if (have_shm) places.push_back({"tmpfs", shm_dir, {}, {}, true});
  const int commits = std::max(10, std::min(per_run, 300) / 2);
  for (int round = 0; round < rounds; ++round) {
    for (Place& place : places) {
      if (!place.ok) continue;
      // The journal's synced commit alone, before and after the run.
      const std::string tag = std::to_string(round);
      bool commit_ok = MeasureCommit(place.dir + "/commit-before-" + tag + ".db", commits,
                                     &place.commit_ms);
      setup.journal_path = place.dir + "/run-" + tag + ".db";
      PhaseResult run = RunDispatchPhase(setup, warmup);
      commit_ok = commit_ok && MeasureCommit(place.dir + "/commit-after-" + tag + ".db", commits,
                                             &place.commit_ms);
      if (!run.ok || !commit_ok) {
        std::printf("\njournal on %s: FAILED: %s\n", place.name,
                    run.ok ? ("cannot write a journal in " + place.dir).c_str() : run.error.c_str());
        place.ok = false;
        continue;
      }
      PhaseResult& pooled = place.pooled;
      for (auto [from, to] : {std::pair{&run.echo, &pooled.echo}, {&run.echo_true, &pooled.echo_true},
                              {&run.round_trip, &pooled.round_trip}, {&run.to_result, &pooled.to_result},
                              {&run.to_durable, &pooled.to_durable}}) {
        to->insert(to->end(), from->begin(), from->end());
      }
      pooled.steps_succeeded += run.steps_succeeded;
    }
  }

  std::printf("Machine after:  %s\n", MachineLoad().c_str());
  bool all_ok = true;
  bool target_met = true;
  for (const Place& place : places) {
    all_ok = all_ok && place.ok;
    if (!place.ok) continue;
    const PhaseResult& phase = place.pooled;
    std::printf("\njournal on %s (%s, %s):\n", place.name, place.dir.c_str(),
                FileSystem(place.dir).c_str());
    const Summary echo = Summarize(phase.echo);
    const Summary echo_true = Summarize(phase.echo_true);
    const Summary round_trip = Summarize(phase.round_trip);
    std::printf("  %-44s %11s %11s %11s\n", "", "p50", "p99", "mean");
    PrintRow("bare gRPC echo (baseline)", echo);
    PrintRow("echo, running `true` on the far side", echo_true);
    PrintRow("dispatch round trip, to the result durable", round_trip);
    PrintRow("  dispatch -> result recorded on the strand", Summarize(phase.to_result));
    PrintRow("  result recorded -> durable (next's sync)", Summarize(phase.to_durable));
    PrintRow("journal synced commit alone (Append kSync)", Summarize(place.commit_ms));
    PrintRatio("dispatch / echo", round_trip, echo);
    const bool met =
        round_trip.p50 <= kTargetRatio * echo.p50 && round_trip.p99 <= kTargetRatio * echo.p99;
    target_met = target_met && met;
    std::printf("  target dispatch round trip <= %.1fx echo (p50 and p99): %s\n", kTargetRatio,
                met ? "PASS" : "FAIL");
    // What the engine and the agent add to the link and the command (p50s, so only an
    // estimate): dispatch -> result recorded, against the echo that runs `true`.
    PrintRatio("dispatch / echo running `true`", round_trip, echo_true);
    std::printf("  engine + agent, beyond link and command (p50s): %.3f ms\n",
                Summarize(phase.to_result).p50 - echo_true.p50);
    std::printf("  %d of %d steps succeeded\n", phase.steps_succeeded, rounds * per_run);
  }
  cleanup();
  std::printf("\n%s\n", !all_ok ? "a run FAILED"
                                 : target_met ? "all targets met" : "some targets missed");
  return all_ok ? 0 : 1;
}

}  // namespace tminus::bench

int main(int argc, char** argv) {
  tminus::net::DisableMutexDeadlockDetection();
  if (argc > 1 && std::string(argv[1]) == "--far-side") {
    return tminus::bench::FarSideMain(argc - 2, argv + 2);
  }
  return tminus::bench::Main(argc, argv);
}
