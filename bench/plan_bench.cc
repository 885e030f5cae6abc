// tminus_bench_plan: how long tminus takes to load, validate and plan a large runbook,
// against a baseline measured in the same run on the same text: yaml-cpp parsing it into
// its own node tree (YAML::Load), which is the least any YAML-based tool has to do.
//
// For each size (1k, 10k, 100k steps by default) a runbook is generated once
// (bench/runbook_gen.h) and checked to load and validate with no errors; then baseline
// and candidate runs alternate and the medians are reported, with the ratio, the
// 100k/10k scaling, the peak memory of a load+validate+plan in a forked child, and a
// breakdown of where the time goes for the largest size.
//
//   tminus_bench_plan [--quick] [--sizes=1k,10k,100k] [--reps=N] [--seed=N] [--check]
//                     [--no-memory] [--wall] [--candidate-only] [--emit=STEPS]
//
// Targets: load+validate+plan at most 1.5x parse-only at every size; 100k/10k time at
// most 12x; peak RSS under 300 MB for 100k steps. Exits 0 whether or not they are met,
// unless --check (then 1 on a miss); 2 when a generated runbook is invalid.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include "bench/runbook_gen.h"
#include "engine/base/diagnostic.h"
#include "engine/loader/runbook_loader.h"
#include "engine/loader/yaml_tree.h"
#include "engine/model/step_graph.h"
#include "engine/plan/planner.h"
#include "engine/validate/validator.h"

#ifndef TMINUS_BUILD_TYPE
#define TMINUS_BUILD_TYPE "unknown"
#endif

namespace tminus::bench {
namespace {

// The work measured is single-threaded and CPU-bound, so by default it is timed by this
// process's CPU time (user + system, so page faults count), which other load on the machine
// barely disturbs; --wall times by the wall clock instead.
bool g_wall_clock = false;

struct Clock {
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<Clock, duration>;
  static time_point now() {
    timespec ts{};
    clock_gettime(g_wall_clock ? CLOCK_MONOTONIC : CLOCK_PROCESS_CPUTIME_ID, &ts);
    return time_point(duration(int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec));
  }
};

constexpr double kMaxRatio = 1.5;     // load+validate+plan / parse-only
constexpr double kMaxScaling = 12.0;  // time(100k) / time(10k)
constexpr double kMaxPeakMb = 300.0;  // peak RSS of load+validate+plan at 100k
constexpr int kScalingLow = 10'000;
constexpr int kScalingHigh = 100'000;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string SizeLabel(int steps) {
  if (steps >= 1000 && steps % 1000 == 0) return std::to_string(steps / 1000) + "k";
  return std::to_string(steps);
}

struct Args {
  std::vector<int> sizes = {1'000, 10'000, 100'000};
  int reps = 0;  // 0: by size
  uint64_t seed = 1;
  bool quick = false;
  bool check = false;
  bool memory = true;
  bool wall = false;
  bool candidate_only = false;
  int emit = 0;
};

void Usage(FILE* out) {
  std::fprintf(out,
               "usage: tminus_bench_plan [--quick] [--sizes=1k,10k,100k] [--reps=N] [--seed=N]\n"
               "                         [--check] [--no-memory] [--wall] [--candidate-only]\n"
               "                         [--emit=STEPS]\n"
               "  --quick      1k and 10k steps, one repetition each (a smoke run)\n"
               "  --sizes      step counts, comma-separated (k = thousand)\n"
               "  --reps       repetitions per size (default 7 up to 1k, 5 up to 10k, else 3)\n"
               "  --seed       generator seed (default 1)\n"
               "  --check      exit 1 when a target is missed\n"
               "  --no-memory  skip the peak-memory measurement (no fork)\n"
               "  --wall       time by the wall clock (default: process CPU time)\n"
               "  --candidate-only  time only load+validate+plan, no baseline and no fork\n"
               "               (for profiling the engine with perf, callgrind or massif)\n"
               "  --emit       print the generated runbook with STEPS steps and exit\n");
}

bool ParseCount(std::string_view s, int* out) {
  int64_t scale = 1;
  if (!s.empty() && (s.back() == 'k' || s.back() == 'K')) {
    scale = 1000;
    s.remove_suffix(1);
  } else if (!s.empty() && (s.back() == 'm' || s.back() == 'M')) {
    scale = 1'000'000;
    s.remove_suffix(1);
  }
  if (s.empty() || s.size() > 9) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  v *= scale;
  if (v < 1 || v > 10'000'000) return false;
  *out = static_cast<int>(v);
  return true;
}

std::optional<Args> ParseArgs(int argc, char** argv) {
  Args args;
  bool sizes_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    std::string_view value;
    const size_t eq = a.find('=');
    if (eq != std::string_view::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    } else if ((a == "--sizes" || a == "--reps" || a == "--seed" || a == "--emit") &&
               i + 1 < argc) {
      value = argv[++i];
    }
    if (a == "--quick") {
      args.quick = true;
    } else if (a == "--check") {
      args.check = true;
    } else if (a == "--no-memory") {
      args.memory = false;
    } else if (a == "--wall") {
      args.wall = true;
    } else if (a == "--candidate-only") {
      args.candidate_only = true;
      args.memory = false;
    } else if (a == "--sizes") {
      args.sizes.clear();
      size_t start = 0;
      while (start <= value.size()) {
        size_t end = value.find(',', start);
        if (end == std::string_view::npos) end = value.size();
        int n = 0;
        if (!ParseCount(value.substr(start, end - start), &n)) return std::nullopt;
        args.sizes.push_back(n);
        start = end + 1;
      }
      sizes_given = true;
    } else if (a == "--reps") {
      if (!ParseCount(value, &args.reps) || args.reps > 1000) return std::nullopt;
    } else if (a == "--seed") {
      int seed = 0;
      if (!ParseCount(value, &seed)) return std::nullopt;
      args.seed = static_cast<uint64_t>(seed);
    } else if (a == "--emit") {
      if (!ParseCount(value, &args.emit)) return std::nullopt;
    } else {
      return std::nullopt;
    }
  }
  if (args.quick) {
    if (!sizes_given) args.sizes = {1'000, 10'000};
    if (args.reps == 0) args.reps = 1;
  }
  std::sort(args.sizes.begin(), args.sizes.end());
  args.sizes.erase(std::unique(args.sizes.begin(), args.sizes.end()), args.sizes.end());
  return args;
}

int RepsFor(const Args& args, int steps) {
  if (args.reps > 0) return args.reps;
  if (steps <= 1'000) return 7;
  if (steps <= 10'000) return 5;
  return 3;
}

// ------------------------------------------------------------------------ self-check

// Loads and validates a generated runbook; prints its problems. False when it has errors,
// the wrong number of steps, or no plan.
bool SelfCheck(const std::string& text, const GenOptions& gen, bool verbose) {
  Diagnostics d;
  const Runbook rb = LoadRunbook(text, &d);
  ValidateRunbook(rb, ValidateOptions{}, &d);
  bool ok = !d.has_errors() && static_cast<int>(rb.steps.size()) == std::max(1, gen.steps);
  std::optional<Plan> plan;
  if (ok) {
    const StepGraph graph = StepGraph::Build(rb);
    absl::StatusOr<Plan> p = MakePlan(rb, graph);
    if (!p.ok()) {
      std::printf("  plan failed: %s\n", std::string(p.status().message()).c_str());
      ok = false;
    } else {
      plan = std::move(*p);
      ok = plan->fits_window;
    }
  }
  if (!ok || d.warning_count() > 0) {
    std::printf("  generated runbook (steps %d, seed %llu): %zu steps, %d errors, %d warnings%s\n",
                gen.steps, static_cast<unsigned long long>(gen.seed), rb.steps.size(),
                d.error_count(), d.warning_count(),
                plan && !plan->fits_window ? ", plan does not fit the window" : "");
    d.SortByLocation();
    int shown = 0;
    for (const Diagnostic& diag : d.all()) {
      if (++shown > 10) break;
      std::printf("    %d:%d: %s: %s\n", diag.loc.line, diag.loc.column,
                  SeverityName(diag.severity), diag.message.c_str());
    }
  } else if (verbose) {
    std::printf(
        "  valid: %zu steps, 0 errors, 0 warnings; plan %s, %zu steps on the critical "
        "path\n",
        rb.steps.size(), FormatDuration(plan->end - plan->origin).c_str(),
        plan->critical_path.size());
  }
  return ok;
}

// Small and odd sizes and other seeds: the generator keeps every shape valid.
bool GeneratorSelfCheck() {
  const int kSizes[] = {1, 2, 3, 7, 23, 24, 25, 31, 60, 99, 137, 250, 777};
  bool ok = true;
  int count = 0;
  for (uint64_t seed : {1, 2, 3, 42}) {
    for (int steps : kSizes) {
      GenOptions gen{steps, seed};
      const std::string text = GenerateRunbook(gen);
      if (text != GenerateRunbook(gen)) {
        std::printf("  generator is not deterministic for steps %d, seed %llu\n", steps,
                    static_cast<unsigned long long>(seed));
        ok = false;
      }
      ok = SelfCheck(text, gen, false) && ok;
      ++count;
    }
  }
  std::printf("generator self-check: %d runbooks (1 to 777 steps, 4 seeds) %s\n", count,
              ok ? "valid and deterministic" : "FAILED");
  return ok;
}

// ------------------------------------------------------------------------ measurements

struct CandidateTimes {
  double load = 0, validate = 0, graph = 0, plan = 0;
  double total() const { return load + validate + graph + plan; }
};

// LoadRunbook + ValidateRunbook + StepGraph::Build + MakePlan, as `tminus plan` does them.
// The results are destroyed after the clock stops (as for the baseline).
CandidateTimes RunCandidate(const std::string& text) {
  CandidateTimes t;
  const Clock::time_point t0 = Clock::now();
  Diagnostics d;
  Runbook rb = LoadRunbook(text, &d);
  const Clock::time_point t1 = Clock::now();
  ValidateRunbook(rb, ValidateOptions{}, &d);
  const Clock::time_point t2 = Clock::now();
  StepGraph graph = StepGraph::Build(rb);
  const Clock::time_point t3 = Clock::now();
  absl::StatusOr<Plan> plan = MakePlan(rb, graph);
  const Clock::time_point t4 = Clock::now();
  if (d.has_errors() || !plan.ok()) {
    std::fprintf(stderr, "tminus_bench_plan: the runbook did not load, validate and plan\n");
    std::exit(2);
  }
  t.load = Ms(t1 - t0);
  t.validate = Ms(t2 - t1);
  t.graph = Ms(t3 - t2);
  t.plan = Ms(t4 - t3);
  return t;
}

// yaml-cpp building its node tree from the same text.
double RunBaseline(const std::string& text) {
  const Clock::time_point t0 = Clock::now();
  YAML::Node root = YAML::Load(text);
  const Clock::time_point t1 = Clock::now();
  if (!root.IsMap() || !root["steps"].IsSequence()) {
    std::fprintf(stderr, "tminus_bench_plan: yaml-cpp did not read the runbook\n");
    std::exit(2);
  }
  return Ms(t1 - t0);
}

// The engine's YAML stage alone (yaml-cpp events into YamlTree), for the breakdown.
double RunYamlTree(const std::string& text) {
  const Clock::time_point t0 = Clock::now();
  YamlTree tree;
  Diagnostics d;
  const bool ok = tree.Parse(text, YamlLimits{}, &d);
  const Clock::time_point t1 = Clock::now();
  if (!ok) std::exit(2);
  return Ms(t1 - t0);
}

long CurrentRssKb() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long kb = -1;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) kb = std::strtol(line + 6, nullptr, 10);
  }
  std::fclose(f);
  return kb;
}

struct Peak {
  bool ok = false;
  double before_mb = 0;  // RSS of the forked child before the work
  double peak_mb = 0;    // its peak RSS (wait4 ru_maxrss)
};

constexpr double KbToMb(long kb) { return kb * 1024.0 / 1e6; }

// Runs `work` in a forked child and reports its RSS before the work and its peak.
Peak MeasurePeak(const std::function<bool()>& work) {
  std::fflush(stdout);
  std::fflush(stderr);
  malloc_trim(0);
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t pid = fork();
  if (pid < 0) return {};
  if (pid == 0) {
    close(fds[0]);
    const long before = CurrentRssKb();
    const bool wrote = write(fds[1], &before, sizeof before) == sizeof before;
    close(fds[1]);
    _exit(wrote && work() ? 0 : 1);
  }
  close(fds[1]);
  long before = -1;
  const bool got = read(fds[0], &before, sizeof before) == sizeof before;
  close(fds[0]);
  int status = 0;
  struct rusage usage {};
  if (wait4(pid, &status, 0, &usage) != pid) return {};
  Peak peak;
  peak.ok = got && before >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  peak.before_mb = KbToMb(before);
  peak.peak_mb = KbToMb(usage.ru_maxrss);
  return peak;
}

struct SizeResult {
  int steps = 0;
  double mb = 0;
  int reps = 0;
  double baseline_ms = 0;
  double candidate_ms = 0;
  CandidateTimes parts;  // medians of each stage
  double tree_ms = 0;    // median YamlTree::Parse (largest size only)
  std::optional<Peak> candidate_peak, baseline_peak;
};

struct Target {
  std::string what;
  bool met = false;
  std::string value;
};

std::string Format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

int Main(int argc, char** argv) {
  const std::optional<Args> parsed = ParseArgs(argc, argv);
  if (!parsed) {
    Usage(stderr);
    return 2;
  }
  const Args& args = *parsed;
  if (args.emit > 0) {
    const std::string text = GenerateRunbook(GenOptions{args.emit, args.seed});
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }

  std::printf("tminus_bench_plan: load+validate+plan vs yaml-cpp parse-only (YAML::Load)\n");
  g_wall_clock = args.wall;
  std::printf(
      "build %s, seed %llu, %s; %s; medians, baseline and candidate\n"
      "interleaved; destroying the results is not timed, for either\n\n",
      TMINUS_BUILD_TYPE, static_cast<unsigned long long>(args.seed),
      args.quick ? "quick (one repetition)" : "full",
      args.wall ? "wall-clock times" : "times are process CPU time");
  if (!GeneratorSelfCheck()) return 2;

  std::vector<SizeResult> results;
  const int largest = args.sizes.back();
  for (int steps : args.sizes) {
    SizeResult r;
    r.steps = steps;
    r.reps = RepsFor(args, steps);
    const GenOptions gen{steps, args.seed};
    const Clock::time_point g0 = Clock::now();
    std::string text = GenerateRunbook(gen);
    const double gen_ms = Ms(Clock::now() - g0);
    r.mb = text.size() / 1e6;
    std::printf("%s steps: generated %.2f MB (%zu bytes/step) in %.0f ms\n",
                SizeLabel(steps).c_str(), r.mb, text.size() / steps, gen_ms);
    if (!SelfCheck(text, gen, true)) {
      std::printf("FAIL: the generated runbook is not valid; nothing was timed\n");
      return 2;
    }
    if (steps == largest && args.memory) {
      r.candidate_peak = MeasurePeak([&text] {
        Diagnostics d;
        const Runbook rb = LoadRunbook(text, &d);
        ValidateRunbook(rb, ValidateOptions{}, &d);
        const StepGraph graph = StepGraph::Build(rb);
        const absl::StatusOr<Plan> plan = MakePlan(rb, graph);
        return !d.has_errors() && plan.ok();
      });
      r.baseline_peak = MeasurePeak([&text] { return YAML::Load(text).IsMap(); });
    }
    if (args.candidate_only) {
      std::vector<double> load, validate, graph, plan, total;
      for (int i = 0; i < r.reps; ++i) {
        const CandidateTimes c = RunCandidate(text);
        load.push_back(c.load);
        validate.push_back(c.validate);
        graph.push_back(c.graph);
        plan.push_back(c.plan);
        total.push_back(c.total());
      }
      std::printf(
          "  load+validate+plan %.1f ms: load %.1f, validate %.1f, graph %.1f, plan "
          "%.1f (medians of %d)\n",
          Median(total), Median(load), Median(validate), Median(graph), Median(plan), r.reps);
      continue;
    }
    std::vector<double> base, cand, load, validate, graph, plan;
    for (int i = 0; i < r.reps; ++i) {
      // Alternate which goes first, so neither always runs on a warm heap.
      CandidateTimes c;
      double b = 0;
      if (i % 2 == 0) {
        b = RunBaseline(text);
        c = RunCandidate(text);
      } else {
        c = RunCandidate(text);
        b = RunBaseline(text);
      }
      base.push_back(b);
      cand.push_back(c.total());
      load.push_back(c.load);
      validate.push_back(c.validate);
      graph.push_back(c.graph);
      plan.push_back(c.plan);
    }
    r.baseline_ms = Median(base);
    r.candidate_ms = Median(cand);
    r.parts = {Median(load), Median(validate), Median(graph), Median(plan)};
    if (steps == largest) {
      std::vector<double> tree;
      for (int i = 0; i < r.reps; ++i) tree.push_back(RunYamlTree(text));
      r.tree_ms = Median(tree);
    }
    std::printf("  parse-only %.1f ms, load+validate+plan %.1f ms (%d reps)\n", r.baseline_ms,
                r.candidate_ms, r.reps);
    results.push_back(r);
    text.clear();
    text.shrink_to_fit();
    malloc_trim(0);
  }

  if (args.candidate_only) return 0;

  // ---------------------------------------------------------------------------- report
  std::vector<Target> targets;
  std::printf("\n%9s %9s %15s %23s %8s %6s\n", "steps", "file MB", "parse-only ms",
              "load+validate+plan ms", "ratio", "reps");
  for (const SizeResult& r : results) {
    const double ratio = r.candidate_ms / r.baseline_ms;
    std::printf("%9s %9.2f %15.1f %23.1f %7.2fx %6d\n", SizeLabel(r.steps).c_str(), r.mb,
                r.baseline_ms, r.candidate_ms, ratio, r.reps);
    targets.push_back({"load+validate+plan <= " + Format("%.1f", kMaxRatio) + "x parse-only at " +
                           SizeLabel(r.steps) + " steps",
                       ratio <= kMaxRatio, Format("%.2fx", ratio)});
  }

  const SizeResult* low = nullptr;
  const SizeResult* high = nullptr;
  for (const SizeResult& r : results) {
    if (r.steps == kScalingLow) low = &r;
    if (r.steps == kScalingHigh) high = &r;
  }
  if (low && high) {
    const double scaling = high->candidate_ms / low->candidate_ms;
    std::printf(
        "\n100k/10k time ratio: load+validate+plan %.1fx, parse-only %.1fx "
        "(10x the steps)\n",
        scaling, high->baseline_ms / low->baseline_ms);
    targets.push_back({"100k/10k load+validate+plan time <= " + Format("%.0f", kMaxScaling) + "x",
                       scaling <= kMaxScaling, Format("%.1fx", scaling)});
  }

  const SizeResult& big = results.back();
  std::printf("\nbreakdown at %s steps (medians of %d):\n", SizeLabel(big.steps).c_str(), big.reps);
  const double total = big.candidate_ms;
  auto line = [&](const char* name, double ms) {
    std::printf("  %-46s %10.1f ms %5.1f%%\n", name, ms, total > 0 ? 100 * ms / total : 0);
  };
  line("LoadRunbook", big.parts.load);
  line("  of which YamlTree::Parse (yaml-cpp events)", big.tree_ms);
  line("  of which the model from the tree", std::max(0.0, big.parts.load - big.tree_ms));
  line("ValidateRunbook (includes a graph and a plan)", big.parts.validate);
  line("StepGraph::Build", big.parts.graph);
  line("MakePlan", big.parts.plan);
  line("total", total);
  std::printf("  %-46s %10.1f ms\n", "(baseline: YAML::Load)", big.baseline_ms);

  if (big.candidate_peak) {
    const Peak& c = *big.candidate_peak;
    const Peak& b = *big.baseline_peak;
    std::printf("\npeak memory at %s steps (forked child, MB = 10^6 bytes):\n",
                SizeLabel(big.steps).c_str());
    std::printf("  %-28s peak %7.1f MB, before the work %6.1f MB, increase %7.1f MB%s\n",
                "load+validate+plan", c.peak_mb, c.before_mb, c.peak_mb - c.before_mb,
                c.ok ? "" : " (child failed)");
    std::printf("  %-28s peak %7.1f MB, before the work %6.1f MB, increase %7.1f MB%s\n",
                "parse-only (YAML::Load)", b.peak_mb, b.before_mb, b.peak_mb - b.before_mb,
                b.ok ? "" : " (child failed)");
    if (big.steps == kScalingHigh) {
      targets.push_back(
          {"peak RSS of load+validate+plan at 100k steps < " + Format("%.0f", kMaxPeakMb) + " MB",
           c.ok && c.peak_mb < kMaxPeakMb, Format("%.1f MB", c.peak_mb)});
    }
  }

  std::printf("\ntargets:\n");
  int missed = 0;
  for (const Target& t : targets) {
    std::printf("  %s  %s (%s)\n", t.met ? "PASS" : "FAIL", t.what.c_str(), t.value.c_str());
    if (!t.met) ++missed;
  }
  if (missed == 0) {
    std::printf("RESULT: PASS (%zu of %zu targets met)\n", targets.size(), targets.size());
  } else {
    std::printf("RESULT: FAIL (%d of %zu targets missed)%s\n", missed, targets.size(),
                args.check ? "" : "; exit 0 without --check");
  }
  return args.check && missed > 0 ? 1 : 0;
}

}  // namespace
}  // namespace tminus::bench

int main(int argc, char** argv) { return tminus::bench::Main(argc, argv); }
