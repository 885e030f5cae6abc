// The command line's checks (labels, plaintext only to this host, the id from the
// certificate, ranges). The TLS files themselves are read by the net library (tests/net).
#include "agent/agent_config.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

namespace tminus::agent {
namespace {

AgentFlags Insecure() {
  AgentFlags flags;
  flags.coordinator = "127.0.0.1:7000";
  flags.insecure = true;
  flags.id = "agent-a";
  return flags;
}

std::string ErrorOf(const AgentFlags& flags) {
  absl::StatusOr<AgentConfig> config = ResolveConfig(flags);
  if (config.ok()) return "";
  return std::string(config.status().message());
}

// A directory with a self-signed certificate (CN `common_name`) as ca.crt and agent.crt,
// and its key as agent.key.
class TlsDir {
 public:
  explicit TlsDir(const std::string& common_name) {
    char dir[] = "/tmp/tminus-agent-tls-XXXXXX";
    if (mkdtemp(dir) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
      return;
    }
    dir_ = dir;
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    if (!common_name.empty()) {
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0);
    } else {
      X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("tminus"), -1, -1, 0);
    }
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
    for (const char* file : {"/ca.crt", "/agent.crt"}) {
      FILE* out = fopen((dir_ + file).c_str(), "w");
      PEM_write_X509(out, cert);
      fclose(out);
    }
    FILE* out = fopen((dir_ + "/agent.key").c_str(), "w");
    PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr);
    fclose(out);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  ~TlsDir() {
    for (const char* file : {"/ca.crt", "/agent.crt", "/agent.key"}) unlink((dir_ + file).c_str());
    rmdir(dir_.c_str());
  }
  const std::string& path() const { return dir_; }

 private:
  std::string dir_;
};

TEST(AgentConfigTest, LabelsAreKeyEqualsValue) {
  absl::StatusOr<std::pair<std::string, std::string>> label = ParseLabel("role=db");
  ASSERT_TRUE(label.ok()) << label.status();
  EXPECT_EQ(label->first, "role");
  EXPECT_EQ(label->second, "db");
  label = ParseLabel("topology.kubernetes.io/zone=eu-west-1a");
  ASSERT_TRUE(label.ok()) << label.status();
  EXPECT_EQ(label->second, "eu-west-1a");
  label = ParseLabel("url=a=b");
  ASSERT_TRUE(label.ok()) << label.status();
  EXPECT_EQ(label->second, "a=b") << "the first '=' splits";
}

TEST(AgentConfigTest, MalformedLabelsAreRefusedWithTheReason) {
  const std::pair<const char*, const char*> cases[] = {
      {"role", "is not KEY=VALUE"}, {"=db", "has no key"},
      {"role=", "has no value"},    {"ro le=db", "the key may hold only"},
      {"role=db,site=a", "commas"}, {"role=d\tb", "control characters"},
  };
  for (const auto& [text, error] : cases) {
    absl::StatusOr<std::pair<std::string, std::string>> label = ParseLabel(text);
    ASSERT_FALSE(label.ok()) << text;
    EXPECT_NE(std::string(label.status().message()).find(error), std::string::npos)
        << text << ": " << label.status();
  }
}

TEST(AgentConfigTest, AValidCommandLineResolves) {
  AgentFlags flags = Insecure();
  flags.labels = {"role=db", "site=dc-a"};
  flags.max_concurrent = 2;
  flags.output_cap = 1000;
  absl::StatusOr<AgentConfig> config = ResolveConfig(flags);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->coordinator, "127.0.0.1:7000");
  EXPECT_EQ(config->id, "agent-a");
  EXPECT_EQ(config->labels, (std::map<std::string, std::string>{{"role", "db"}, {"site", "dc-a"}}));
  EXPECT_TRUE(config->tls_dir.empty());
  EXPECT_EQ(config->max_concurrent, 2u);
  EXPECT_EQ(config->output_cap_bytes, 1000u);
}

TEST(AgentConfigTest, PlaintextIsOnlyForACoordinatorOnThisHost) {
  for (const char* address : {"127.0.0.1:7000", "127.1.2.3:7000", "localhost:7000", "LOCALHOST:1",
                              "[::1]:7000", "dns:///localhost:7000", "ipv4:127.0.0.1:7000"}) {
    AgentFlags flags = Insecure();
    flags.coordinator = address;
    EXPECT_EQ(ErrorOf(flags), "") << address;
  }
  for (const char* address : {"10.0.0.1:7000", "coordinator.example.com:7000", "[::2]:7000",
                              "128.0.0.1:7000", "localhost.example.com:7000", "0.0.0.0:7000"}) {
    AgentFlags flags = Insecure();
    flags.coordinator = address;
    EXPECT_NE(ErrorOf(flags).find("only to a coordinator on this host"), std::string::npos)
        << address;
  }
}

TEST(AgentConfigTest, EveryMistakeIsNamed) {
  AgentFlags flags = Insecure();
  flags.id.clear();
  EXPECT_NE(ErrorOf(flags).find("--id is required"), std::string::npos);
  flags = Insecure();
  flags.insecure = false;
  EXPECT_NE(ErrorOf(flags).find("give --tls-dir"), std::string::npos);
  flags = Insecure();
  flags.tls_dir = "/etc/tminus/agent";
  EXPECT_NE(ErrorOf(flags).find("exclude each other"), std::string::npos);
  flags = Insecure();
  flags.coordinator.clear();
  EXPECT_NE(ErrorOf(flags).find("--coordinator"), std::string::npos);
  flags = Insecure();
  flags.labels = {"role=db", "role=web"};
  EXPECT_NE(ErrorOf(flags).find("given twice"), std::string::npos);
  flags = Insecure();
  flags.labels = {"role"};
  EXPECT_NE(ErrorOf(flags).find("KEY=VALUE"), std::string::npos);
  flags = Insecure();
  flags.max_concurrent = 0;
  EXPECT_NE(ErrorOf(flags).find("--max-concurrent 0"), std::string::npos);
  flags = Insecure();
  flags.output_cap = kMaxOutputCap + 1;
  EXPECT_NE(ErrorOf(flags).find("--output-cap"), std::string::npos);
  flags = Insecure();
  flags.id = "agent a";
  EXPECT_NE(ErrorOf(flags).find("spaces"), std::string::npos);
}

TEST(AgentConfigTest, WithTlsTheIdIsTheCertificatesCommonName) {
  TlsDir tls("agent-db-01");
  AgentFlags flags;
  flags.coordinator = "coordinator.example.com:7443";
  flags.tls_dir = tls.path();
  absl::StatusOr<AgentConfig> config = ResolveConfig(flags);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->id, "agent-db-01");
  EXPECT_EQ(config->tls_dir, tls.path());
  flags.id = "explicit";
  EXPECT_EQ(ResolveConfig(flags)->id, "explicit") << "--id wins";
}

TEST(AgentConfigTest, ACertificateTheIdCannotBeTakenFromIsNamedWithTheWayOut) {
  TlsDir no_cn("");
  AgentFlags flags;
  flags.coordinator = "coordinator.example.com:7443";
  flags.tls_dir = no_cn.path();
  std::string error = ErrorOf(flags);
  EXPECT_NE(error.find(no_cn.path() + "/agent.crt: the certificate has no common name"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("unless --id is given"), std::string::npos) << error;
  flags.id = "db-01";
  EXPECT_EQ(ErrorOf(flags), "") << "--id does without the common name";

  flags.id.clear();
  flags.tls_dir = "/nonexistent";
  error = ErrorOf(flags);
  EXPECT_NE(error.find("/nonexistent/agent.crt: no such file"), std::string::npos) << error;
}

}  // namespace
}  // namespace tminus::agent
