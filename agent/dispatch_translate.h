// The agent's one place where the wire protocol meets the executor: a Dispatch becomes an
// ActionRequest (after checking that it is well formed), an ActionResult becomes a Result,
// and a DispatchId becomes a key for maps and a label for the log.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "tminus/v1/agent.pb.h"

#include "absl/status/statusor.h"
#include "engine/exec/executor.h"

namespace tminus::agent {

// A string that identifies the attempt exactly: every field of the id, length-prefixed
// so that no two ids share a key whatever their text holds.
std::string AttemptKey(const v1::DispatchId& id);

// The attempt for people: "copy-data#1", "copy-data#rollback2" (the run and host are the
// same for every line an agent logs about one run).
std::string AttemptLabel(const v1::DispatchId& id);

// Checks `dispatch` and builds the request the executor runs. The request's dispatch_id is
// AttemptKey(dispatch.id()) (what Cancel is matched by). An HTTP probe without a status
// expects 200, as in the runbook format. Errors say what is wrong and never quote a value
// that could hold a secret (argv elements, env values, the script):
//   "the dispatch has no id", "argv is empty", "env[2] has no name", ...
absl::StatusOr<ActionRequest> ToActionRequest(const v1::Dispatch& dispatch);

// The last `cap` bytes of an executor's output tail, keeping its "[tminus: N earlier bytes
// not kept]" line accurate when the tail is cut again. `cap` 0 keeps everything.
std::string CapTail(std::string tail, size_t cap);

// The Result of an attempt that ran. Output tails are cut to `output_cap_bytes` (0: as the
// executor kept them).
v1::Result ToResult(const v1::DispatchId& id, const ActionResult& outcome, size_t output_cap_bytes,
                    int64_t finished_unix_ms);

// The Result of a dispatch that could not run: not ok, no exit code, `error` as the reason.
v1::Result FailedResult(const v1::DispatchId& id, const std::string& error,
                        int64_t finished_unix_ms);

// A one-line summary for the log, without output or error text (which may quote values
// from argv): "ok", "exit code 3", "timed out", "cancelled", "failed to run".
std::string DescribeOutcome(const v1::Result& result);

}  // namespace tminus::agent
