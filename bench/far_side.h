// The far side of tminus_bench_dispatch, in a process of its own (the benchmark starts
// itself again with --far-side): the real agent (tminus_agent's RunAgent, exactly what
// tminus-agent runs) dialling the coordinator, and the far end of the echo baseline, both
// over mutual TLS with the agent's certificate. It runs until SIGTERM.
#pragma once

namespace tminus::bench {

// Parses the flags after --far-side and runs; returns the exit code.
//   --coordinator ADDR --echo ADDR --tls-dir DIR --id ID [--label KEY=VALUE]...
int FarSideMain(int argc, char** argv);

}  // namespace tminus::bench
