// The comparison of two runs as a document: why the end moved, per-step durations, both
// runs on one chart, and how the chain of steps that set the end shifted.
#pragma once

#include "engine/history/comparison.h"
#include "report/document.h"

namespace tminus::report {

Document CompareReport(const Comparison& c);

// "B ended 47m later than A (T+06:48 against T+06:01): the steps account for +45m
// (copy-data +40m, verify +5m), time outside the steps +2m."
std::string CompareVerdict(const Comparison& c);

}  // namespace tminus::report
