// Reading the verified client identity out of gRPC's AuthContext.
#include "net/peer_identity.h"

#include <grpc/grpc_security_constants.h>

#include "absl/strings/str_cat.h"
#include "net/cert_names.h"

namespace tminus::net {
namespace {

std::string FirstValue(const grpc::AuthContext& auth, const char* property) {
  const std::vector<grpc::string_ref> values = auth.FindPropertyValues(property);
  if (values.empty()) return "";
  return std::string(values.front().data(), values.front().size());
}

bool IsTls(const grpc::AuthContext& auth) {
  return FirstValue(auth, GRPC_TRANSPORT_SECURITY_TYPE_PROPERTY_NAME) ==
         GRPC_SSL_TRANSPORT_SECURITY_TYPE;
}

}  // namespace

std::string PeerAgentId(const grpc::AuthContext& auth) {
  if (!IsTls(auth) || !auth.IsPeerAuthenticated()) return "";
  return FirstValue(auth, GRPC_X509_CN_PROPERTY_NAME);
}

absl::StatusOr<std::string> AuthenticatedAgent(const grpc::ServerContextBase& call) {
  const std::string refused = absl::StrCat("refused a connection from ", call.peer(), ": ");
  const std::shared_ptr<const grpc::AuthContext> auth = call.auth_context();
  if (auth == nullptr || !IsTls(*auth)) {
    return absl::UnauthenticatedError(refused + "it did not connect over TLS");
  }
  if (!auth->IsPeerAuthenticated()) {
    return absl::UnauthenticatedError(
        refused +
        "it presented no client certificate (an agent needs agent.crt and agent.key "
        "issued by the coordinator's CA)");
  }
  const std::string id = PeerAgentId(*auth);
  if (id.empty()) {
    return absl::UnauthenticatedError(
        refused + "its certificate has no common name, which must be the agent id");
  }
  if (absl::Status valid = ValidateAgentId(id); !valid.ok()) {
    return absl::UnauthenticatedError(absl::StrCat(refused,
                                                   "its certificate's common name is not "
                                                   "a valid agent id: ",
                                                   valid.message()));
  }
  return id;
}

}  // namespace tminus::net
