// A generator of large, realistic, valid cutover runbooks, for benchmarks (load, validate,
// plan, and later simulated runs).
//
// The runbook is a data-center exit written the way people write them: a pre-check phase
// that opens at T-04:00 and ends in a first go/no-go gate; then waves of 50 to 100 steps,
// each moving one application across up to six streams (network, security, storage,
// database, compute, application) and ending in a go/no-go gate; then the point of no
// return and a roll-forward-only tail that ends in a `cutover-complete` milestone.
//
// It uses every part of the format: an absolute window.start and a T+ window.end that the
// plan fits in; roles with several people; agent-label and SSH targets; vars, secrets and
// defaults; x- anchors with aliases and merge keys; tasks with command/shell runs that use
// ${var} and ${secrets.x}, expect, retries, timeout and rollback; checks (commands and
// tcp/http/dns probes); manual steps with owner and signoff; gates with approvers, quorum,
// criteria (direct and transitive needs), approvers_exclude, override and decide_by;
// milestones (one `no_return`, with no rollback after it); fan-out (a gate or milestone
// followed by many parallel steps), fan-in (steps needing several), not_before T-times and
// deadlines. Every need names an earlier step, so the graph is acyclic; decide_by,
// deadlines and window.end are derived from the generator's own critical-path plan, so
// the runbook loads and validates with no errors and no warnings.
#pragma once

#include <cstdint>
#include <string>

namespace tminus::bench {

struct GenOptions {
  // The exact number of steps (values below 1 are taken as 1). From 24 steps on, the runbook
  // has the full shape above; below that it is one manual step, parallel checks and a
  // closing milestone.
  int steps = 1000;
  // Varies wave sizes, streams, dependencies, durations and application names. The same
  // options always give byte-identical text, on every platform.
  uint64_t seed = 1;
};

// Returns the runbook as YAML text (about 440 bytes per step).
std::string GenerateRunbook(const GenOptions& options);

}  // namespace tminus::bench
