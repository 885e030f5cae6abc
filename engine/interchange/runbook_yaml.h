// A runbook skeleton written as YAML text by hand: only the keys an import fills in, every
// free text quoted so that titles with ':', '#', quotes or line breaks survive.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/model/runbook.h"

namespace tminus {

struct SkeletonStep {
  std::string id;
  std::string title;   // "" for none
  StepType type = StepType::kManual;
  std::string stream;  // "" for none
  std::string owner;   // "" for none
  std::vector<std::string> needs;
  Seconds duration{0};
  std::optional<Seconds> not_before;  // from T0
  std::string comment;                // a note written above the step, "" for none
};

struct SkeletonRunbook {
  std::string name;
  std::vector<std::string> header;   // comment lines at the top
  std::optional<Instant> t0;         // window.start
  std::vector<std::pair<std::string, std::vector<std::string>>> roles;  // role -> people
  std::vector<SkeletonStep> steps;
};

// The runbook as YAML. Tasks and checks get a placeholder run that fails (`false` on the
// coordinator), so a step nobody automated yet cannot pass unnoticed.
std::string WriteSkeletonYaml(const SkeletonRunbook& runbook);

// A YAML scalar for `text`: plain when that is safe, else double-quoted and escaped.
std::string YamlScalar(const std::string& text);

}  // namespace tminus
