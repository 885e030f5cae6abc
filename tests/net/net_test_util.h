// Helpers for the net tests: a temporary folder, file modes, and certificates read back with
// OpenSSL to check what was written.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "net/openssl_ptr.h"
#include "tests/temp_dir.h"

namespace tminus::net_test {

// A fresh directory for one test, removed at the end.
class TempDir : public tminus::testing::TempDir {
 public:
  TempDir() : tminus::testing::TempDir("net") {}
};

// The permission bits of `path` (e.g. 0600), or -1 when it does not exist.
inline int Mode(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

using testing::ReadText;
using testing::WriteText;

// The first certificate in a PEM file; null (and a test failure) when there is none.
inline net::CertPtr LoadCert(const std::string& path) {
  const std::string text = ReadText(path);
  net::BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  net::CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) ADD_FAILURE() << path << " holds no certificate";
  return cert;
}

// X509_verify_cert of `leaf` against `ca` for `purpose` (X509_PURPOSE_SSL_CLIENT, ...):
// "" when it verifies, OpenSSL's reason otherwise.
inline std::string VerifyAgainst(X509* ca, X509* leaf, int purpose) {
  net::StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), ca);
  net::StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), purpose);
  if (X509_verify_cert(ctx.get()) == 1) return "";
  return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

// The subjectAltName entries as "DNS:name" and "IP:address" (IPv4 and IPv6 as text).
std::vector<std::string> SubjectAltNames(X509* cert);

// The subject's common name.
std::string CommonName(X509* cert);

// The files under `root` (relative paths), for "nothing else was written" checks.
inline std::vector<std::string> ListFiles(const std::filesystem::path& root) {
  std::vector<std::string> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    files.push_back(std::filesystem::relative(it->path(), root).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace tminus::net_test
