#include "control/operators.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "net/secure_file.h"
#include "nlohmann/json.hpp"

namespace tminus::control {
namespace {

constexpr char kTokenPrefix[] = "tmn_";
constexpr size_t kTokenBytes = 32;

std::string Hex(const unsigned char* bytes, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 15];
  }
  return out;
}

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  return Hex(digest, length);
}

absl::StatusOr<std::string> NewToken() {
  unsigned char bytes[kTokenBytes];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return absl::InternalError("cannot draw random bytes for a token");
  }
  return kTokenPrefix + Hex(bytes, sizeof bytes);
}

// Names and roles appear in the journal and on screens: printable, no spaces.
bool UsableName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || u == 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}

bool IsHex64(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

absl::StatusOr<Operators> Operators::Load(const std::string& path) {
  absl::StatusOr<std::string> text = net::ReadSmallFile(path);
  if (!text.ok()) return text.status();
  auto bad = [&](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
  };
  nlohmann::json doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return bad("not valid JSON");
  if (!doc.is_object() || !doc.contains("operators") || !doc["operators"].is_array()) {
    return bad("expected an object with an \"operators\" list");
  }
  Operators result;
  std::set<std::string> names;
  int index = 0;
  for (const nlohmann::json& entry : doc["operators"]) {
    const std::string where = absl::StrCat("operators[", index++, "]");
    if (!entry.is_object()) return bad(where + " is not an object");
    Operator op;
    if (!entry.contains("name") || !entry["name"].is_string() ||
        !UsableName(op.name = entry["name"].get<std::string>())) {
      return bad(where + ": \"name\" must be 1 to 64 printable characters without spaces");
    }
    if (!names.insert(op.name).second) return bad(where + ": '" + op.name + "' appears twice");
    if (!entry.contains("token_sha256") || !entry["token_sha256"].is_string() ||
        !IsHex64(op.token_sha256 = entry["token_sha256"].get<std::string>())) {
      return bad(where + " ('" + op.name + "'): \"token_sha256\" must be 64 lowercase hex digits");
    }
    if (entry.contains("roles")) {
      if (!entry["roles"].is_array()) return bad(where + " ('" + op.name + "'): \"roles\" must be a list");
      for (const nlohmann::json& role : entry["roles"]) {
        if (!role.is_string() || !UsableName(role.get<std::string>())) {
          return bad(where + " ('" + op.name + "'): every role must be a name without spaces");
        }
        op.roles.push_back(role.get<std::string>());
      }
    }
    result.operators_.push_back(std::move(op));
  }
  return result;
}

absl::Status Operators::Save(const std::string& path) const {
  nlohmann::json list = nlohmann::json::array();
  for (const Operator& op : operators_) {
    list.push_back({{"name", op.name}, {"roles", op.roles}, {"token_sha256", op.token_sha256}});
  }
  nlohmann::json doc = {{"operators", list}};
  return net::ReplaceFile(path, doc.dump(2) + "\n", 0600);
}

absl::StatusOr<std::string> Operators::Add(const std::string& name,
                                           const std::vector<std::string>& roles) {
  if (!UsableName(name)) {
    return absl::InvalidArgumentError(
        "an operator's name must be 1 to 64 printable characters without spaces or quotes");
  }
  for (const std::string& role : roles) {
    if (!UsableName(role)) {
      return absl::InvalidArgumentError("role '" + role + "' is not a name without spaces");
    }
  }
  for (const Operator& op : operators_) {
    if (op.name == name) {
      return absl::AlreadyExistsError("operator '" + name +
                                      "' exists already (use 'tminus operators rotate' for a new token)");
    }
  }
  absl::StatusOr<std::string> token = NewToken();
  if (!token.ok()) return token.status();
  Operator op;
  op.name = name;
  op.roles = roles;
  op.token_sha256 = Sha256Hex(*token);
  operators_.push_back(std::move(op));
  return token;
}

absl::StatusOr<std::string> Operators::Rotate(const std::string& name) {
  for (Operator& op : operators_) {
    if (op.name != name) continue;
    absl::StatusOr<std::string> token = NewToken();
    if (!token.ok()) return token.status();
    op.token_sha256 = Sha256Hex(*token);
    return token;
  }
  return absl::NotFoundError("there is no operator '" + name + "'");
}

absl::Status Operators::Remove(const std::string& name) {
  const auto it = std::find_if(operators_.begin(), operators_.end(),
                               [&](const Operator& op) { return op.name == name; });
  if (it == operators_.end()) return absl::NotFoundError("there is no operator '" + name + "'");
  operators_.erase(it);
  return absl::OkStatus();
}

const Operator* Operators::Authenticate(const std::string& token) const {
  if (token.empty()) return nullptr;
  const std::string hash = Sha256Hex(token);
  const Operator* found = nullptr;
  for (const Operator& op : operators_) {
    // Every entry is compared, in constant time, so timing says nothing about the file.
    if (CRYPTO_memcmp(hash.data(), op.token_sha256.data(), hash.size()) == 0) found = &op;
  }
  return found;
}

std::map<std::string, std::vector<std::string>> Operators::RolesByPerson() const {
  std::map<std::string, std::vector<std::string>> roles;
  for (const Operator& op : operators_) roles[op.name] = op.roles;
  return roles;
}

std::string BearerToken(const std::string& authorization) {
  constexpr char kBearer[] = "Bearer ";
  if (authorization.rfind(kBearer, 0) != 0) return "";
  return authorization.substr(sizeof kBearer - 1);
}

}  // namespace tminus::control
