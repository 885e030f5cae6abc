// The top of a generated runbook, up to `steps:`: name, window, roles, targets, vars,
// secrets, defaults and the x- anchors the step templates use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tminus::bench::gen {

// defaults.timeout in the preamble, in minutes.
inline constexpr int kDefaultTimeoutMinutes = 15;

// The preamble for a runbook of `steps` steps in `waves` waves whose plan runs from
// `plan_origin` to `plan_end` (seconds from T0); window.end leaves a margin after both.
std::string Preamble(size_t steps, uint64_t seed, int waves, int64_t plan_origin, int64_t plan_end);

}  // namespace tminus::bench::gen
