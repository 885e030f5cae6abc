// `tminus operators add|rotate|remove|list`: the operators file a coordinator checks
// control-API tokens against (control/operators.h). A new token is printed once; the file
// keeps only its hash.
#pragma once

#include <string>
#include <vector>

#include "tools/cli/commands.h"

namespace tminus::cli {

struct OperatorsArgs {
  std::string file = "operators.json";
  std::string user;
  std::vector<std::string> roles;
};

// 0 done; 1 refused (a name taken or missing, a bad name or role); 2 the file cannot be
// read or written.
int RunOperatorsAdd(const OperatorsArgs& args, const Output& io);
int RunOperatorsRotate(const OperatorsArgs& args, const Output& io);
int RunOperatorsRemove(const OperatorsArgs& args, const Output& io);
int RunOperatorsList(const OperatorsArgs& args, const Output& io);

}  // namespace tminus::cli
