#include "engine/history/observed_durations.h"

#include <algorithm>
#include <map>

namespace tminus {

absl::StatusOr<ObservedDurations> ObserveDurations(const Runbook& runbook,
                                                   const std::vector<const RunHistory*>& runs) {
  std::map<std::string, int> index;
  for (size_t i = 0; i < runbook.steps.size(); ++i) index.emplace(runbook.steps[i].id.value, static_cast<int>(i));
  std::vector<std::vector<int64_t>> seen(runbook.steps.size());
  for (const RunHistory* run : runs) {
    const Runbook& recorded = run->run->runbook;
    if (recorded.name.value != runbook.name.value) {
      return absl::InvalidArgumentError("the journal " + run->run->journal_path + " holds a run of '" +
                                        recorded.name.value + "', not of '" + runbook.name.value + "'");
    }
    for (size_t i = 0; i < recorded.steps.size(); ++i) {
      const std::optional<Seconds>& took = run->steps[i].observed;
      auto it = index.find(recorded.steps[i].id.value);
      if (took && it != index.end()) seen[it->second].push_back(took->count());
    }
  }
  ObservedDurations observed;
  observed.runs = static_cast<int>(runs.size());
  observed.durations.resize(runbook.steps.size());
  observed.samples.resize(runbook.steps.size());
  for (size_t i = 0; i < seen.size(); ++i) {
    std::vector<int64_t>& v = seen[i];
    observed.samples[i] = static_cast<int>(v.size());
    if (v.empty()) continue;
    std::sort(v.begin(), v.end());
    const size_t mid = v.size() / 2;
    // An even count takes the mean of the middle two, rounded half up.
    const int64_t median = v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid] + 1) / 2;
    observed.durations[i] = Seconds(median);
    ++observed.steps_observed;
  }
  return observed;
}

}  // namespace tminus
