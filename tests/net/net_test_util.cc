// Reading names back out of certificates for the net tests.
#include "tests/net/net_test_util.h"

#include <arpa/inet.h>

namespace tminus::net_test {

std::vector<std::string> SubjectAltNames(X509* cert) {
  std::vector<std::string> names;
  auto* general =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (general == nullptr) return names;
  for (int i = 0; i < sk_GENERAL_NAME_num(general); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(general, i);
    if (name->type == GEN_DNS) {
      const ASN1_STRING* s = name->d.dNSName;
      names.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                           ASN1_STRING_length(s)));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = name->d.iPAddress;
      char text[INET6_ADDRSTRLEN] = "?";
      const int family = ASN1_STRING_length(ip) == 4 ? AF_INET : AF_INET6;
      EXPECT_NE(inet_ntop(family, ASN1_STRING_get0_data(ip), text, sizeof text), nullptr)
          << "an IP subjectAltName of " << ASN1_STRING_length(ip) << " bytes";
      names.push_back(std::string("IP:") + text);
    }
  }
  GENERAL_NAMES_free(general);
  return names;
}

std::string CommonName(X509* cert) {
  char buffer[256] = "";
  EXPECT_GE(X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buffer,
                                      sizeof buffer),
            0)
      << "the certificate has no common name";
  return buffer;
}

}  // namespace tminus::net_test
