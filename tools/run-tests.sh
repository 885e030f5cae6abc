#!/usr/bin/env bash
# The whole test suite: install, build, the unit tests under ASan and UBSan, a bounded
# fuzzing run of the runbook loader (beside the main build), then every other test through
# ctest (which ends the run).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
fuzz_seconds=${TMINUS_FUZZ_SECONDS:-60}

"$root/tools/install-deps.sh" --tests

echo "== sanitizers: unit tests under AddressSanitizer and UndefinedBehaviorSanitizer"
asan="$root/build-asan"
if [[ ! -f "$asan/build.ninja" ]]; then
  cmake -S "$root" -B "$asan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTMINUS_SANITIZE=ON \
    -DTMINUS_TOOLS=OFF -DCMAKE_CXX_FLAGS_DEBUG=-g1 >/dev/null
fi
ninja -C "$asan" -j"$jobs" tminus_unit_tests tminus_exec_tests tminus_journal_tests \
  tminus_executor_tests tminus_audit_command_tests tminus_history_tests tminus_interchange_tests
# The randomized engine test runs fewer cases here; the full count runs in the main build.
# Passing tests are filtered out of the log; failures keep their output (pipefail keeps
# ctest's verdict).
(cd "$asan" && TMINUS_RANDOM_CASES=300 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1 ctest -L unit --no-tests=error -j"$jobs" \
  --output-on-failure | grep -vE "^ *(Start +[0-9]+:|[0-9]+/[0-9]+ Test +#[0-9]+: .* Passed)") ||
  { echo "sanitizer run failed" >&2; exit 1; }
echo "sanitizer run: all unit tests passed"

echo "== fuzzing the runbook loader and validator for ${fuzz_seconds}s, beside the main build"
fuzz="$root/build-fuzz"
if [[ ! -f "$fuzz/build.ninja" ]]; then
  CXX=clang++ cmake -S "$root" -B "$fuzz" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTMINUS_FUZZ=ON >/dev/null
fi
ninja -C "$fuzz" -j"$jobs" runbook_fuzz
corpus=$(mktemp -d)
fuzz_pid=
trap '[[ -n "$fuzz_pid" ]] && kill "$fuzz_pid" 2>/dev/null; rm -rf "$corpus"' EXIT
cp "$root"/tests/fuzz/corpus/* "$root"/runbooks/*.yaml "$corpus"/
# One process on one core, while the main build compiles: done before the tests start.
"$fuzz/tests/fuzz/runbook_fuzz" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=65536 -dict="$root/tests/fuzz/runbook.dict" -print_final_stats=1 \
  -artifact_prefix="$corpus/" "$corpus" 2>"$corpus/fuzz.log" &
fuzz_pid=$!

echo "== build"
# The unit tests the sanitizer run passed are not compiled again here.
cmake -S "$root" -B "$root/build" -G Ninja -DTMINUS_SKIP_SANITIZED_TESTS=ON >/dev/null
"$root/tools/build.sh"

fuzz_status=0
wait "$fuzz_pid" || fuzz_status=$?
fuzz_pid=
if [[ $fuzz_status -ne 0 ]]; then
  tail -60 "$corpus/fuzz.log"
  echo "fuzzing found a crash or a hang; the input is in the log above" >&2
  exit 1
fi
echo "fuzzing:"
grep -E "stat::number_of_executed_units|Done" "$corpus/fuzz.log" | tail -2

echo "== ctest"
cd "$root/build"
ctest --no-tests=error --output-on-failure -j"$jobs"
