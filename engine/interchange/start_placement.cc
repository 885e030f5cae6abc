#include "engine/interchange/start_placement.h"

#include <algorithm>

namespace tminus {

std::optional<Instant> PlaceStarts(const TaskSheet& sheet, const std::optional<Instant>& t0_option,
                                   const std::vector<std::vector<int>>& needs,
                                   const std::vector<int>& order, std::vector<SkeletonStep>* steps,
                                   Diagnostics* d) {
  const int n = static_cast<int>(sheet.tasks.size());
  std::optional<int64_t> t0;
  if (t0_option) t0 = t0_option->unix_seconds;
  int offset_minutes = t0_option ? t0_option->utc_offset_minutes : 0;
  int first_local = -1, first_absolute = -1;
  for (int t = 0; t < n; ++t) {
    const std::optional<SheetTime>& st = sheet.tasks[t].start;
    if (!st) continue;
    if (st->kind == SheetTime::Kind::kAbsolute && first_absolute < 0) first_absolute = t;
    if (st->kind == SheetTime::Kind::kLocal && first_local < 0) first_local = t;
  }
  if (!t0_option && first_absolute >= 0) {
    offset_minutes = sheet.tasks[first_absolute].start->utc_offset_minutes;
  } else if (!t0_option && first_local >= 0) {
    d->Warning(sheet.At(sheet.tasks[first_local], SheetColumn::kStart),
               "the start times have no UTC offset, so they were read as UTC: pass --t0 with "
               "the window's start and offset (like 2026-12-05T22:00:00-05:00) to place them");
  }
  auto instant_of = [&](const SheetTime& st) -> int64_t {
    return st.kind == SheetTime::Kind::kLocal ? st.unix_seconds - int64_t{offset_minutes} * 60
                                              : st.unix_seconds;
  };
  if (!t0) {
    for (const SheetTask& task : sheet.tasks) {
      if (task.start && task.start->kind != SheetTime::Kind::kRelative) {
        const int64_t at = instant_of(*task.start);
        if (!t0 || at < *t0) t0 = at;
      }
    }
  }
  std::optional<Instant> window_start;
  if (t0) {
    window_start.emplace();
    window_start->kind = Instant::Kind::kAbsolute;
    window_start->unix_seconds = *t0;
    window_start->utc_offset_minutes = offset_minutes;
  }

  std::vector<std::optional<Seconds>> start(n);
  Seconds earliest{0};
  for (int t = 0; t < n; ++t) {
    const std::optional<SheetTime>& st = sheet.tasks[t].start;
    if (!st) continue;
    start[t] = st->kind == SheetTime::Kind::kRelative ? st->offset : Seconds(instant_of(*st) - *t0);
    earliest = std::min(earliest, *start[t]);
  }
  // Steps without needs start at the plan's origin: T0, or the earliest not_before before
  // it. When the sheet starts something before T0, each of them keeps its start.
  Seconds origin{0};
  for (int t = 0; t < n; ++t) {
    if (!needs[t].empty() || !start[t]) continue;
    if (*start[t] != Seconds(0) || earliest < Seconds(0)) {
      (*steps)[t].not_before = start[t];
      origin = std::min(origin, *start[t]);
    }
  }
  Plan clock;  // for messages in the sheet's own terms
  clock.t0_unix = t0;
  clock.utc_offset_minutes = offset_minutes;
  std::vector<Seconds> end(n);
  for (int t : order) {
    SkeletonStep& s = (*steps)[t];
    Seconds planned = s.not_before.value_or(origin);
    if (!needs[t].empty()) {
      Seconds implied = end[needs[t][0]];
      for (int need : needs[t]) implied = std::max(implied, end[need]);
      planned = implied;
      if (start[t] && *start[t] > implied) {
        s.not_before = start[t];
        planned = *start[t];
      } else if (start[t] && *start[t] < implied) {
        d->Warning(sheet.At(sheet.tasks[t], SheetColumn::kStart),
                   "the sheet starts this task at " + FormatSheetTime(clock, *start[t]) +
                       ", before its predecessors end; the runbook starts it when they do, at " +
                       FormatSheetTime(clock, implied));
      }
    }
    end[t] = planned + s.duration;
  }
  return window_start;
}

}  // namespace tminus
