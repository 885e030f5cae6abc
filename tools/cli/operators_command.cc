#include "tools/cli/operators_command.h"

#include "control/operators.h"

namespace tminus::cli {
namespace {

// The file, or an empty roster when it does not exist yet (`add` creates it).
bool Load(const OperatorsArgs& args, bool may_be_new, control::Operators* out, const Output& io) {
  absl::StatusOr<control::Operators> loaded = control::Operators::Load(args.file);
  if (loaded.ok()) {
    *out = std::move(*loaded);
    return true;
  }
  if (may_be_new && absl::IsNotFound(loaded.status())) return true;
  io.err << "tminus operators: " << loaded.status().message() << "\n";
  return false;
}

int Save(const control::Operators& ops, const OperatorsArgs& args, const Output& io) {
  if (absl::Status saved = ops.Save(args.file); !saved.ok()) {
    io.err << "tminus operators: " << saved.message() << "\n";
    return kExitUsage;
  }
  return kExitOk;
}

int PrintToken(const absl::StatusOr<std::string>& token, const control::Operators& ops,
               const OperatorsArgs& args, const Output& io) {
  if (!token.ok()) {
    io.err << "tminus operators: " << token.status().message() << "\n";
    return kExitInvalid;
  }
  if (int saved = Save(ops, args, io); saved != kExitOk) return saved;
  io.out << *token << "\n";
  io.err << "The API token of '" << args.user << "' is above. It is shown this once ("
         << args.file << " keeps only its hash): hand it over privately; the operator sets "
            "TMINUS_TOKEN or uses --token-file.\n";
  return kExitOk;
}

}  // namespace

int RunOperatorsAdd(const OperatorsArgs& args, const Output& io) {
  control::Operators ops;
  if (!Load(args, /*may_be_new=*/true, &ops, io)) return kExitUsage;
  absl::StatusOr<std::string> token = ops.Add(args.user, args.roles);
  return PrintToken(token, ops, args, io);
}

int RunOperatorsRotate(const OperatorsArgs& args, const Output& io) {
  control::Operators ops;
  if (!Load(args, /*may_be_new=*/false, &ops, io)) return kExitUsage;
  absl::StatusOr<std::string> token = ops.Rotate(args.user);
  return PrintToken(token, ops, args, io);
}

int RunOperatorsRemove(const OperatorsArgs& args, const Output& io) {
  control::Operators ops;
  if (!Load(args, /*may_be_new=*/false, &ops, io)) return kExitUsage;
  if (absl::Status removed = ops.Remove(args.user); !removed.ok()) {
    io.err << "tminus operators: " << removed.message() << "\n";
    return kExitInvalid;
  }
  return Save(ops, args, io);
}

int RunOperatorsList(const OperatorsArgs& args, const Output& io) {
  control::Operators ops;
  if (!Load(args, /*may_be_new=*/false, &ops, io)) return kExitUsage;
  for (const control::Operator& op : ops.all()) {
    io.out << op.name;
    std::string roles;
    for (const std::string& r : op.roles) roles += (roles.empty() ? "" : ", ") + r;
    io.out << (roles.empty() ? "" : "  roles: " + roles) << "\n";
  }
  return kExitOk;
}

}  // namespace tminus::cli
