// Predecessor cells as planning tools write them: "3;5", "3,5", "3FS", "4SS+2h",
// "stop-app", "7FF-1 day".
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tminus {

struct PredecessorLink {
  std::string ref;          // the task it names, as the id column (or row number) writes it
  std::string type = "FS";  // FS, SS, FF or SF
  std::string lag;          // as written ("+2h"), "" when there is none or it is zero
};

// Splits a cell into links. Entries are separated by ',' or ';'. An entry is a task
// reference, optionally followed by a link type and a lag; `known` says whether a text is
// a reference, so ids that themselves end in "fs" or contain '-' are read right. Returns
// false, with *unknown set to the entry, at the first entry that names no task.
bool ParsePredecessors(std::string_view cell, const std::function<bool(std::string_view)>& known,
                       std::vector<PredecessorLink>* links, std::string* unknown);

}  // namespace tminus
