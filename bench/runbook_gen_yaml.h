// YAML text helpers for the runbook generator: durations and T-times as people write them,
// scalars quoted only when they must be, lists in flow or block style.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tminus::bench::gen {

inline constexpr int64_t kMinute = 60;
inline constexpr int64_t kHour = 3600;

// `seconds` rounded up to a multiple of `unit`.
int64_t CeilTo(int64_t seconds, int64_t unit);

// `v` zero-padded to `width` digits.
std::string Pad(int64_t v, int width);

// "T-04:00", "T+00:15", "T+1234:30".
std::string TTime(int64_t seconds);

// "5m", "1h", "1h30m".
std::string Duration(int minutes);

// A scalar as a person writes it: plain when YAML reads it back as the same string (also
// inside a flow list), else quoted. Values with ${...} are quoted, as in the examples.
std::string Scalar(std::string_view s);

// The parts of `s` between `sep`s (one empty part for an empty `s`).
std::vector<std::string_view> Split(std::string_view s, char sep);

// "[a, b, c]" when it fits on a line, else one "- item" per line.
void AppendList(std::string* out, int indent, std::string_view key,
                const std::vector<std::string>& items, size_t max_flow_items = 64);

// Writes "key: value" lines (separated by '\n' in `lines`) at `indent`.
void AppendLines(std::string* out, int indent, std::string_view lines);

}  // namespace tminus::bench::gen
