// Engine cost: simulate generated runbooks of 10k and 100k steps with no journal (engine
// overhead per step), then with the journal on disk (journaled transitions per second),
// against a raw SQLite insert loop writing the same records with the same durability, all
// in the same run.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/runbook_gen.h"
#include "engine/exec/journal_sink.h"
#include "engine/exec/simulation.h"
#include "engine/journal/journal.h"
#include "engine/loader/runbook_loader.h"
#include "engine/validate/validator.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Captures the records a run writes, to replay them through raw SQLite.
class CaptureSink : public tminus::EventSink {
 public:
  explicit CaptureSink(const tminus::Runbook& rb) : rb_(rb) {}
  absl::Status Record(const tminus::RunEvent& e, bool) override {
    types.push_back(tminus::EventTypeName(e.type));
    actors.push_back(e.actor);
    payloads.push_back(tminus::EncodePayload(e, rb_));
    return absl::OkStatus();
  }
  absl::Status Flush() override { return absl::OkStatus(); }
  std::string ChainHead() const override { return ""; }
  std::vector<std::string> types, actors, payloads;

 private:
  const tminus::Runbook& rb_;
};

// The baseline: the same rows into a WAL, synchronous=FULL SQLite table, 512 per commit.
double RawSqlite(const std::string& path, const CaptureSink& records) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", nullptr, nullptr, nullptr);
  sqlite3_exec(db,
               "CREATE TABLE records(seq INTEGER PRIMARY KEY, wall_ms INTEGER, actor TEXT, "
               "type TEXT, payload TEXT, hash TEXT)",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO records VALUES(?,?,?,?,?,?)", -1, &insert, nullptr);
  const std::string hash(64, '0');
  const auto start = Clock::now();
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  for (size_t i = 0; i < records.payloads.size(); ++i) {
    sqlite3_bind_int64(insert, 1, static_cast<sqlite3_int64>(i + 1));
    sqlite3_bind_int64(insert, 2, 1700000000000);
    sqlite3_bind_text(insert, 3, records.actors[i].c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(insert, 4, records.types[i].c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(insert, 5, records.payloads[i].c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(insert, 6, hash.c_str(), -1, SQLITE_STATIC);
    sqlite3_step(insert);
    sqlite3_reset(insert);
    if ((i + 1) % 512 == 0) {
      sqlite3_exec(db, "COMMIT; BEGIN", nullptr, nullptr, nullptr);
    }
  }
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  const double t = Seconds(Clock::now() - start);
  sqlite3_finalize(insert);
  sqlite3_close(db);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  // --quick: one small size (the smoke test); --sizes N,M,...: those sizes.
  std::vector<int> sizes = {10000, 100000};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      sizes = {2000};
    } else if (arg == "--sizes" && i + 1 < argc) {
      sizes.clear();
      std::string list = argv[++i];
      for (size_t pos = 0; pos <= list.size();) {
        const size_t comma = std::min(list.find(',', pos), list.size());
        const int n = std::atoi(list.substr(pos, comma - pos).c_str());
        if (n <= 0) {
          std::fprintf(stderr, "--sizes: '%s' is not a list of positive step counts\n",
                       argv[i]);
          return 2;
        }
        sizes.push_back(n);
        pos = comma + 1;
      }
    } else {
      std::fprintf(stderr, "usage: tminus_bench_simulate [--quick | --sizes N,M,...]\n");
      return 2;
    }
  }
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("tminus-simbench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::printf("%-8s %10s %12s %12s %14s %14s %12s %8s\n", "steps", "events", "engine ms",
              "us/step", "journal ms", "journaled/s", "raw sqlite/s", "ratio");
  bool all_ok = true;
  for (int steps : sizes) {
    tminus::bench::GenOptions gen;
    gen.steps = steps;
    const std::string text = tminus::bench::GenerateRunbook(gen);
    tminus::Diagnostics diagnostics;
    tminus::Runbook rb = tminus::LoadRunbook(text, &diagnostics);
    tminus::ValidateRunbook(rb, {}, &diagnostics);
    if (diagnostics.has_errors()) {
      std::fprintf(stderr, "generated runbook of %d steps is invalid\n", steps);
      return 1;
    }
    const tminus::StepGraph graph = tminus::StepGraph::Build(rb);
    const tminus::Scenario scenario;

    // Engine alone: the best of five (noise on a shared machine only ever adds time).
    double engine_s = 1e9;
    int64_t events = 0;
    for (int rep = 0; rep < 5; ++rep) {
      tminus::SimulationOptions options;
      options.keep_events = false;
      const auto start = Clock::now();
      auto result = tminus::Simulate(rb, graph, scenario, options);
      engine_s = std::min(engine_s, Seconds(Clock::now() - start));
      if (!result.ok() || result->state.phase() != tminus::RunPhase::kSucceeded) {
        std::fprintf(stderr, "simulation of %d steps did not succeed\n", steps);
        return 1;
      }
      events = result->state.events();
    }

    // The records a run writes, to replay through raw SQLite.
    CaptureSink capture(rb);
    tminus::SimulationOptions capture_options;
    capture_options.keep_events = false;
    capture_options.sink = &capture;
    capture_options.runbook_text = text;
    (void)tminus::Simulate(rb, graph, scenario, capture_options);

    // With the journal on disk, interleaved with the raw baseline (disk latency drifts):
    // medians of three of each, every run on a new file.
    std::vector<double> journal_runs, raw_runs;
    bool journaled_ok = true;
    for (int rep = 0; rep < 3; ++rep) {
      const std::string tag = std::to_string(steps) + "-" + std::to_string(rep) + ".db";
      auto journal = tminus::Journal::Create((dir / ("sim-" + tag)).string());
      if (!journal.ok()) {
        std::fprintf(stderr, "%s\n", std::string(journal.status().message()).c_str());
        return 1;
      }
      tminus::JournalSink sink(journal->get(), rb, tminus::SystemWallMs);
      tminus::SimulationOptions options;
      options.keep_events = false;
      options.sink = &sink;
      options.runbook_text = text;
      const auto start = Clock::now();
      auto journaled = tminus::Simulate(rb, graph, scenario, options);
      journal_runs.push_back(Seconds(Clock::now() - start));
      journaled_ok = journaled_ok && journaled.ok() && journaled->halted.ok() &&
                     journaled->state.phase() == tminus::RunPhase::kSucceeded;
      journal->reset();
      raw_runs.push_back(RawSqlite((dir / ("raw-" + tag)).string(), capture));
    }
    const double journal_s = Median(journal_runs);
    const double raw_s = Median(raw_runs);

    const double us_per_step = engine_s * 1e6 / steps;
    const double journaled_per_s = static_cast<double>(events) / journal_s;
    const double raw_per_s = static_cast<double>(capture.payloads.size()) / raw_s;
    std::printf("%-8d %10lld %12.1f %12.2f %14.1f %14.0f %12.0f %8.2f\n", steps,
                static_cast<long long>(events), engine_s * 1e3, us_per_step, journal_s * 1e3,
                journaled_per_s, raw_per_s, raw_per_s / journaled_per_s);
    const bool engine_ok = us_per_step <= 10.0;
    const bool journal_ok = journaled_per_s >= 20000.0;
    std::printf("  engine overhead %.2f us/step (target <= 10): %s\n", us_per_step,
                engine_ok ? "PASS" : "FAIL");
    std::printf("  journaled transitions %.0f/s (target >= 20000; raw SQLite %.0f/s, %.2fx): %s\n",
                journaled_per_s, raw_per_s, raw_per_s / journaled_per_s, journal_ok ? "PASS" : "FAIL");
    all_ok = all_ok && engine_ok && journal_ok && journaled_ok;
  }
  std::filesystem::remove_all(dir);
  std::printf("%s\n", all_ok ? "all targets met" : "some targets missed");
  return 0;
}
