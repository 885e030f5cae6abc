// ${name} and ${secrets.name} references in run specs. `$$` writes a literal `$`; any
// other `$` is literal too. Substitution happens per argv element, so a value can never
// split into more arguments or reach a shell it was not written for.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tminus {

struct VarRef {
  std::string name;  // without the "secrets." prefix for secrets
  bool secret = false;
  size_t offset = 0;  // where "${" starts in the text
};

// Finds every reference in `text`. False (with *why) when a "${" is malformed.
bool ScanReferences(std::string_view text, std::vector<VarRef>* refs, std::string* why);

}  // namespace tminus
