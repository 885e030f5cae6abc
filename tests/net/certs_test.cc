// `tminus certs init` and `add-agent` as a library: the files, their modes, and certificates
// that OpenSSL verifies against the CA, with the names and extensions each role needs.
#include "net/certs.h"

#include <chrono>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include "tests/net/net_test_util.h"

namespace tminus::net {
namespace {

using net_test::CommonName;
using net_test::ListFiles;
using net_test::LoadCert;
using net_test::Mode;
using net_test::ReadText;
using net_test::SubjectAltNames;
using net_test::TempDir;
using net_test::VerifyAgainst;
using ::testing::HasSubstr;

class CertsTest : public ::testing::Test {
 protected:
  void SetUp() override { old_umask_ = ::umask(022); }
  void TearDown() override { ::umask(old_umask_); }

  // Init into a new folder "certs" with agents a and b.
  std::string InitDefault(const std::vector<std::string>& hosts = {}) {
    const std::string dir = tmp_.File("certs");
    CertsOptions options;
    options.agent_ids = {"agent-a", "agent-b"};
    options.coordinator_hosts = hosts;
    absl::StatusOr<CreatedFiles> created = InitCertificates(dir, options);
    EXPECT_TRUE(created.ok()) << created.status();
    return dir;
  }

  TempDir tmp_;
  mode_t old_umask_ = 0;
};

TEST_F(CertsTest, InitWritesTheLayoutWithPrivateKeysAndFolders) {
  const std::string dir = tmp_.File("certs");
  CertsOptions options;
  options.agent_ids = {"agent-a", "db.host_2"};
  absl::StatusOr<CreatedFiles> created = InitCertificates(dir, options);
  ASSERT_TRUE(created.ok()) << created.status();

  const std::vector<std::string> expected = {
      "agents",
      "agents/agent-a",
      "agents/agent-a/agent.crt",
      "agents/agent-a/agent.key",
      "agents/agent-a/ca.crt",
      "agents/db.host_2",
      "agents/db.host_2/agent.crt",
      "agents/db.host_2/agent.key",
      "agents/db.host_2/ca.crt",
      "ca.crt",
      "ca.key",
      "coordinator.crt",
      "coordinator.key",
  };
  EXPECT_EQ(ListFiles(dir), expected);  // nothing else, no temporary files left behind
  EXPECT_EQ(created->size(), 10u);
  EXPECT_EQ(Mode(dir), 0700);
  EXPECT_EQ(Mode(dir + "/agents"), 0700);
  EXPECT_EQ(Mode(dir + "/agents/agent-a"), 0700);
  for (const char* key :
       {"ca.key", "coordinator.key", "agents/agent-a/agent.key", "agents/db.host_2/agent.key"}) {
    EXPECT_EQ(Mode(dir + "/" + key), 0600) << key;
    EXPECT_THAT(ReadText(dir + "/" + key), HasSubstr("-----BEGIN PRIVATE KEY-----")) << key;
  }
  for (const char* cert : {"ca.crt", "coordinator.crt", "agents/agent-a/agent.crt"}) {
    EXPECT_EQ(Mode(dir + "/" + cert), 0644) << cert;
  }
  EXPECT_EQ(ReadText(dir + "/agents/agent-a/ca.crt"), ReadText(dir + "/ca.crt"));
}

TEST_F(CertsTest, AFolderNameWithATrailingSlashIsTheFolder) {
  const std::string dir = tmp_.File("certs");
  CertsOptions options;
  options.agent_ids = {"a"};
  absl::StatusOr<CreatedFiles> created = InitCertificates(dir + "/", options);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->front(), dir + "/ca.crt");
  EXPECT_EQ(Mode(dir + "/ca.key"), 0600);
  absl::StatusOr<CreatedFiles> added = AddAgentCertificates(dir + "//", {"b"});
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(added->front(), dir + "/agents/b/ca.crt");
  EXPECT_EQ(ListFiles(tmp_.path()).size(), 14u);  // certs/ and its files: nothing beside it
}

TEST_F(CertsTest, KeysStayPrivateWhateverTheUmask) {
  ::umask(0);
  const std::string dir = tmp_.File("certs");
  CertsOptions options;
  options.agent_ids = {"a"};
  ASSERT_TRUE(InitCertificates(dir, options).ok());
  EXPECT_EQ(Mode(dir), 0700);
  EXPECT_EQ(Mode(dir + "/ca.key"), 0600);
  EXPECT_EQ(Mode(dir + "/agents/a/agent.key"), 0600);
}

TEST_F(CertsTest, CertificatesVerifyAgainstTheCaForTheirRoleOnly) {
  const std::string dir = InitDefault();
  CertPtr ca = LoadCert(dir + "/ca.crt");
  CertPtr coordinator = LoadCert(dir + "/coordinator.crt");
  CertPtr agent = LoadCert(dir + "/agents/agent-a/agent.crt");
  ASSERT_TRUE(ca && coordinator && agent);

  EXPECT_EQ(VerifyAgainst(ca.get(), coordinator.get(), X509_PURPOSE_SSL_SERVER), "");
  EXPECT_EQ(VerifyAgainst(ca.get(), agent.get(), X509_PURPOSE_SSL_CLIENT), "");
  // The extended key usage keeps each certificate to its role.
  EXPECT_NE(VerifyAgainst(ca.get(), agent.get(), X509_PURPOSE_SSL_SERVER), "");
  EXPECT_NE(VerifyAgainst(ca.get(), coordinator.get(), X509_PURPOSE_SSL_CLIENT), "");

  // Another init makes another CA, which does not vouch for these.
  CertsOptions other;
  ASSERT_TRUE(InitCertificates(tmp_.File("other"), other).ok());
  CertPtr other_ca = LoadCert(tmp_.File("other") + "/ca.crt");
  EXPECT_NE(VerifyAgainst(other_ca.get(), agent.get(), X509_PURPOSE_SSL_CLIENT), "");
}

TEST_F(CertsTest, NamesAndExtensionsAreAsEachRoleNeeds) {
  const std::string dir = InitDefault({"coord.example.com", "10.1.2.3", "[fd00::7]", "LOCALHOST"});
  CertPtr ca = LoadCert(dir + "/ca.crt");
  CertPtr coordinator = LoadCert(dir + "/coordinator.crt");
  CertPtr agent = LoadCert(dir + "/agents/agent-b/agent.crt");
  ASSERT_TRUE(ca && coordinator && agent);

  EXPECT_EQ(CommonName(agent.get()), "agent-b");
  EXPECT_EQ(CommonName(coordinator.get()), "tminus coordinator");
  const std::vector<std::string> sans = {"DNS:localhost", "DNS:coord.example.com", "IP:127.0.0.1",
                                         "IP:::1",        "IP:10.1.2.3",           "IP:fd00::7"};
  EXPECT_EQ(SubjectAltNames(coordinator.get()), sans);
  EXPECT_TRUE(SubjectAltNames(agent.get()).empty());

  // The CA: CA:TRUE, critical, signs certificates; leaves are not CAs.
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_EQ(X509_check_ca(agent.get()), 0);
  EXPECT_EQ(X509_check_ca(coordinator.get()), 0);
  const int bc = X509_get_ext_by_NID(ca.get(), NID_basic_constraints, -1);
  ASSERT_GE(bc, 0);
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(ca.get(), bc)), 1);
  EXPECT_TRUE(X509_get_key_usage(ca.get()) & KU_KEY_CERT_SIGN);
  EXPECT_TRUE(X509_get_key_usage(ca.get()) & KU_CRL_SIGN);
  EXPECT_EQ(X509_get_key_usage(agent.get()), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_extended_key_usage(agent.get()), static_cast<uint32_t>(XKU_SSL_CLIENT));
  EXPECT_EQ(X509_get_extended_key_usage(coordinator.get()), static_cast<uint32_t>(XKU_SSL_SERVER));

  // Key identifiers chain the leaves to the CA.
  const ASN1_OCTET_STRING* ca_ski = X509_get0_subject_key_id(ca.get());
  ASSERT_NE(ca_ski, nullptr);
  for (X509* leaf : {agent.get(), coordinator.get(), ca.get()}) {
    const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(leaf);
    ASSERT_NE(aki, nullptr);
    EXPECT_EQ(ASN1_OCTET_STRING_cmp(aki, ca_ski), 0);
    EXPECT_NE(X509_get0_subject_key_id(leaf), nullptr);
  }

  // ECDSA P-256 keys, SHA-256 signatures, version 3.
  for (X509* cert : {ca.get(), agent.get(), coordinator.get()}) {
    EXPECT_EQ(X509_get_signature_nid(cert), NID_ecdsa_with_SHA256);
    EXPECT_EQ(X509_get_version(cert), X509_VERSION_3);
    EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(cert)), 256);
  }
}

TEST_F(CertsTest, SerialsAreRandom128BitAndValidityIs825DaysFromJustBeforeNow) {
  const std::string dir = InitDefault();
  std::set<std::string> serials;
  const time_t now = std::time(nullptr);
  for (const char* file :
       {"ca.crt", "coordinator.crt", "agents/agent-a/agent.crt", "agents/agent-b/agent.crt"}) {
    CertPtr cert = LoadCert(dir + "/" + file);
    ASSERT_TRUE(cert);
    BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
    EXPECT_GE(BN_num_bits(serial.get()), 120) << file;
    EXPECT_LE(BN_num_bits(serial.get()), 127) << file;
    EXPECT_FALSE(BN_is_negative(serial.get())) << file;
    char* hex = BN_bn2hex(serial.get());
    serials.insert(hex);
    OPENSSL_free(hex);

    int days = 0;
    int seconds = 0;
    // notBefore: 5 minutes ago (a minute of slack for a slow run).
    ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert.get()),
                             X509_get0_notAfter(cert.get())),
              1);
    EXPECT_EQ(days, 825) << file;
    EXPECT_EQ(seconds, 300) << file;
    time_t before = now - 240;
    EXPECT_LT(X509_cmp_time(X509_get0_notBefore(cert.get()), &before), 0) << file;
    before = now - 420;
    EXPECT_GT(X509_cmp_time(X509_get0_notBefore(cert.get()), &before), 0) << file;
  }
  EXPECT_EQ(serials.size(), 4u);
}

TEST_F(CertsTest, RefusesAFolderThatHoldsACaAndChangesNothing) {
  const std::string dir = InitDefault();
  const std::vector<std::string> before = ListFiles(dir);
  const std::string ca_key = ReadText(dir + "/ca.key");

  CertsOptions options;
  options.agent_ids = {"agent-c"};
  absl::StatusOr<CreatedFiles> again = InitCertificates(dir, options);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(again.status().message()), HasSubstr(dir + "/ca.key"));
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("add-agent"));
  EXPECT_EQ(ListFiles(dir), before);
  EXPECT_EQ(ReadText(dir + "/ca.key"), ca_key);
}

TEST_F(CertsTest, InitFillsAnExistingFolderButNeverOverwritesAFile) {
  const std::string dir = tmp_.File("existing");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  net_test::WriteText(dir + "/README", "ours");
  CertsOptions options;
  options.agent_ids = {"a"};
  absl::StatusOr<CreatedFiles> created = InitCertificates(dir, options);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(ReadText(dir + "/README"), "ours");
  EXPECT_EQ(Mode(dir + "/ca.key"), 0600);
  EXPECT_EQ(Mode(dir + "/agents/a/agent.key"), 0600);
  EXPECT_EQ(ListFiles(dir).size(), 10u);  // README, 4 top files, agents/, agents/a/ and 3 in it

  // A stray coordinator.crt (no ca.key) is not overwritten either.
  const std::string second = tmp_.File("second");
  ASSERT_EQ(::mkdir(second.c_str(), 0700), 0);
  net_test::WriteText(second + "/coordinator.crt", "keep me");
  absl::StatusOr<CreatedFiles> refused = InitCertificates(second, CertsOptions{});
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr(second + "/coordinator.crt"));
  EXPECT_EQ(ReadText(second + "/coordinator.crt"), "keep me");
  EXPECT_EQ(ListFiles(second).size(), 1u);
}

TEST_F(CertsTest, AddAgentIssuesFromTheSameCa) {
  const std::string dir = InitDefault();
  absl::StatusOr<CreatedFiles> created = AddAgentCertificates(dir, {"agent-c", "agent-d"});
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->size(), 6u);
  EXPECT_EQ(Mode(dir + "/agents/agent-c/agent.key"), 0600);
  EXPECT_EQ(Mode(dir + "/agents/agent-d"), 0700);
  EXPECT_EQ(ReadText(dir + "/agents/agent-c/ca.crt"), ReadText(dir + "/ca.crt"));
  CertPtr ca = LoadCert(dir + "/ca.crt");
  CertPtr agent = LoadCert(dir + "/agents/agent-d/agent.crt");
  ASSERT_TRUE(ca && agent);
  EXPECT_EQ(CommonName(agent.get()), "agent-d");
  EXPECT_EQ(VerifyAgainst(ca.get(), agent.get(), X509_PURPOSE_SSL_CLIENT), "");
}

TEST_F(CertsTest, AddAgentRefusesAnExistingIdAndWritesNothing) {
  const std::string dir = InitDefault();
  const std::string key = ReadText(dir + "/agents/agent-a/agent.key");
  const std::vector<std::string> before = ListFiles(dir);
  absl::StatusOr<CreatedFiles> created = AddAgentCertificates(dir, {"agent-new", "agent-a"});
  ASSERT_FALSE(created.ok());
  EXPECT_THAT(std::string(created.status().message()), HasSubstr(dir + "/agents/agent-a"));
  EXPECT_THAT(std::string(created.status().message()), HasSubstr("'agent-a'"));
  EXPECT_EQ(ListFiles(dir), before);  // not even agent-new
  EXPECT_EQ(ReadText(dir + "/agents/agent-a/agent.key"), key);
}

TEST_F(CertsTest, AddAgentNeedsTheCaAndSaysWhichFileIsWrong) {
  const std::string empty = tmp_.File("empty");
  ASSERT_EQ(::mkdir(empty.c_str(), 0700), 0);
  absl::StatusOr<CreatedFiles> missing = AddAgentCertificates(empty, {"a"});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr(empty + "/ca.crt: no such file"));

  const std::string dir = InitDefault();
  const std::string other = tmp_.File("other");
  ASSERT_TRUE(InitCertificates(other, CertsOptions{}).ok());
  ASSERT_EQ(::unlink((dir + "/ca.key").c_str()), 0);
  ASSERT_EQ(::rename((other + "/ca.key").c_str(), (dir + "/ca.key").c_str()), 0);
  absl::StatusOr<CreatedFiles> mismatch = AddAgentCertificates(dir, {"a"});
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(mismatch.status().message()),
              HasSubstr(dir + "/ca.key does not match " + dir + "/ca.crt"));

  net_test::WriteText(dir + "/ca.crt", "not a certificate\n");
  absl::StatusOr<CreatedFiles> garbage = AddAgentCertificates(dir, {"a"});
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(garbage.status().message()), HasSubstr(dir + "/ca.crt: holds no PEM"));
}

TEST_F(CertsTest, BadAgentIdsAreRefusedNamingTheIdBeforeAnythingIsWritten) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"has space", "'has space' has ' ' at position 4"},
      {".hidden", "'.hidden' starts with '.'"},
      {"a/b", "'a/b' has '/'"},
      {"..", "'..' starts with '.'"},
      {std::string(65, 'x'), "is 65 characters long"},
      {"", "cannot be empty"},
      {"caf\xc3\xa9", "'caf\xc3\xa9' has 0xc3"},
  };
  for (const auto& [id, message] : cases) {
    const std::string dir = tmp_.File("bad");
    CertsOptions options;
    options.agent_ids = {"good", id};
    absl::StatusOr<CreatedFiles> created = InitCertificates(dir, options);
    ASSERT_FALSE(created.ok()) << id;
    EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument) << id;
    EXPECT_THAT(std::string(created.status().message()), HasSubstr(message)) << id;
    EXPECT_EQ(Mode(dir), -1) << "nothing is created for a bad id: " << id;
  }
  EXPECT_TRUE(InitCertificates(tmp_.File("ok"), CertsOptions{{}, {std::string(64, 'x')}}).ok());

  CertsOptions twice;
  twice.agent_ids = {"a", "b", "a"};
  absl::StatusOr<CreatedFiles> created = InitCertificates(tmp_.File("twice"), twice);
  ASSERT_FALSE(created.ok());
  EXPECT_THAT(std::string(created.status().message()), HasSubstr("agent id 'a' is given twice"));

  const std::string dir = InitDefault();
  absl::StatusOr<CreatedFiles> added = AddAgentCertificates(dir, {"-ok", "bad id"});
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(added.status().message()), HasSubstr("'bad id'"));
  EXPECT_EQ(Mode(dir + "/agents/-ok"), -1);
}

TEST_F(CertsTest, BadHostNamesAreRefusedNamingTheHost) {
  for (const std::string host :
       {"coord:7443", "under_score.example", "a..b", "-lead.example", "two words"}) {
    CertsOptions options;
    options.coordinator_hosts = {"ok.example", host};
    absl::StatusOr<CreatedFiles> created = InitCertificates(tmp_.File("hosts"), options);
    ASSERT_FALSE(created.ok()) << host;
    EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument) << host;
    EXPECT_THAT(std::string(created.status().message()), HasSubstr("host '" + host + "'"));
  }
}

}  // namespace
}  // namespace tminus::net
