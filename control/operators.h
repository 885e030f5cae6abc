// The operators file: who may use the control API, their roles, and a hash of each one's
// API token. `tminus operators add USER --role R` issues a token and prints it once; the
// file keeps only its SHA-256, so a copy of the file does not let anyone in.
//
// The file is JSON, written whole and replaced atomically, readable by its owner only:
//   {"operators": [{"name": "olu", "roles": ["dba"], "token_sha256": "9f86d0..."}]}
//
// Roles here add to the runbook's `roles:` (role -> people): a person may sign off or
// approve for a role the runbook gives them or this file gives them. That is how a
// replacement is named on the night without editing the reviewed runbook; every sign-off
// records the role it was made as.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tminus::control {

struct Operator {
  std::string name;
  std::vector<std::string> roles;
  std::string token_sha256;  // lowercase hex
};

class Operators {
 public:
  // Reads `path`. NOT_FOUND when it does not exist; INVALID_ARGUMENT naming the file and
  // the entry for anything malformed (bad JSON, a missing name or hash, a duplicate name).
  static absl::StatusOr<Operators> Load(const std::string& path);
  // Writes the file (mode 0600), replacing it atomically.
  absl::Status Save(const std::string& path) const;

  // Adds `name` with `roles` and a new random token, returned (it is not kept).
  // ALREADY_EXISTS when `name` is taken; INVALID_ARGUMENT for an unusable name or role.
  absl::StatusOr<std::string> Add(const std::string& name, const std::vector<std::string>& roles);
  // A new token for `name`, replacing the old one. NOT_FOUND when there is no such operator.
  absl::StatusOr<std::string> Rotate(const std::string& name);
  // NOT_FOUND when there is no such operator.
  absl::Status Remove(const std::string& name);

  // The operator whose token this is, or null (compared in constant time).
  const Operator* Authenticate(const std::string& token) const;
  const std::vector<Operator>& all() const { return operators_; }
  // person -> roles, for the engine's role checks.
  std::map<std::string, std::vector<std::string>> RolesByPerson() const;

 private:
  std::vector<Operator> operators_;
};

// "Bearer TOKEN" -> "TOKEN"; empty when the header is not a bearer token.
std::string BearerToken(const std::string& authorization);

}  // namespace tminus::control
