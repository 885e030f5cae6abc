// Loading a TLS folder for gRPC: every problem names the file and says what is wrong.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "net/certs.h"
#include "net/pem.h"
#include "net/tls.h"
#include "net/x509_issue.h"
#include "tests/net/net_test_util.h"

namespace tminus::net {
namespace {

using net_test::ReadText;
using net_test::TempDir;
using net_test::WriteText;
using ::testing::HasSubstr;

class TlsFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.File("certs");
    CertsOptions options;
    options.agent_ids = {"agent-a", "agent-b"};
    absl::StatusOr<CreatedFiles> created = InitCertificates(dir_, options);
    ASSERT_TRUE(created.ok()) << created.status();
  }

  std::string Message(const absl::Status& status) { return std::string(status.message()); }

  // A self-signed certificate whose subject is `field`=`value` (a UTF8String, which unlike
  // OpenSSL's checked strings may be empty), as PEM.
  static std::string SelfSigned(const std::string& field, const std::string& value) {
    absl::StatusOr<KeyPtr> key = GenerateKey();
    if (!key.ok()) {
      ADD_FAILURE() << key.status();
      return "";
    }
    CertPtr cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_set_pubkey(cert.get(), key->get());
    X509_NAME* subject = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(subject, field.c_str(), V_ASN1_UTF8STRING,
                               reinterpret_cast<const unsigned char*>(value.c_str()),
                               static_cast<int>(value.size()), -1, 0);
    X509_set_issuer_name(cert.get(), subject);
    if (X509_sign(cert.get(), key->get(), EVP_sha256()) == 0) ADD_FAILURE() << "cannot sign";
    return CertificateToPem(cert.get());
  }

  TempDir tmp_;
  std::string dir_;
};

TEST_F(TlsFilesTest, AFreshFolderLoadsForBothSides) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> server = CoordinatorCredentials(dir_);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_NE(*server, nullptr);
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> agent =
      AgentCredentials(dir_ + "/agents/agent-a/");
  ASSERT_TRUE(agent.ok()) << agent.status();
  EXPECT_NE(*agent, nullptr);
}

TEST_F(TlsFilesTest, AMissingFileIsNamed) {
  ASSERT_EQ(::unlink((dir_ + "/coordinator.key").c_str()), 0);
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> server = CoordinatorCredentials(dir_);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(Message(server.status()), dir_ + "/coordinator.key: no such file");

  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> agent =
      AgentCredentials(tmp_.File("nowhere"));
  ASSERT_FALSE(agent.ok());
  EXPECT_EQ(Message(agent.status()), tmp_.File("nowhere") + "/ca.crt: no such file");
}

TEST_F(TlsFilesTest, AnUnreadableFileIsNamed) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads files whatever their mode";
  ASSERT_EQ(::chmod((dir_ + "/agents/agent-a/agent.key").c_str(), 0), 0);
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> agent =
      AgentCredentials(dir_ + "/agents/agent-a");
  ASSERT_FALSE(agent.ok());
  EXPECT_EQ(Message(agent.status()), dir_ + "/agents/agent-a/agent.key: permission denied");
}

TEST_F(TlsFilesTest, AFolderInPlaceOfAFileIsNamed) {
  ASSERT_EQ(::unlink((dir_ + "/ca.crt").c_str()), 0);
  ASSERT_EQ(::mkdir((dir_ + "/ca.crt").c_str(), 0700), 0);
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> server = CoordinatorCredentials(dir_);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(Message(server.status()), dir_ + "/ca.crt: is a folder, not a file");
}

TEST_F(TlsFilesTest, TextThatIsNotPemIsNamed) {
  WriteText(dir_ + "/coordinator.crt", "hello\n");
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> server = CoordinatorCredentials(dir_);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(Message(server.status()), dir_ + "/coordinator.crt: holds no PEM certificate");

  // A key where the certificate belongs, and the other way round.
  const std::string agent = dir_ + "/agents/agent-a";
  const std::string key = ReadText(agent + "/agent.key");
  WriteText(agent + "/agent.key", ReadText(agent + "/agent.crt"));
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> swapped = AgentCredentials(agent);
  ASSERT_FALSE(swapped.ok());
  EXPECT_EQ(Message(swapped.status()),
            agent + "/agent.key: holds a certificate, not a PEM private key");
  WriteText(agent + "/agent.key", "not a key\n");
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> garbage = AgentCredentials(agent);
  ASSERT_FALSE(garbage.ok());
  EXPECT_THAT(Message(garbage.status()), HasSubstr(agent + "/agent.key: holds no PEM private key"));
  WriteText(agent + "/agent.key", key);
  WriteText(agent + "/ca.crt", key);
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> key_as_ca = AgentCredentials(agent);
  ASSERT_FALSE(key_as_ca.ok());
  EXPECT_EQ(Message(key_as_ca.status()),
            agent + "/ca.crt: holds a private key, not a PEM certificate");
}

TEST_F(TlsFilesTest, ACorruptCertificateIsNamed) {
  std::string pem = ReadText(dir_ + "/coordinator.crt");
  pem[pem.size() / 2] = '!';
  WriteText(dir_ + "/coordinator.crt", pem);
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> server = CoordinatorCredentials(dir_);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(Message(server.status()),
              HasSubstr(dir_ + "/coordinator.crt: certificate 1 is not valid PEM ("));
}

TEST_F(TlsFilesTest, AKeyThatDoesNotMatchItsCertificateIsNamed) {
  // agent-b's key beside agent-a's certificate: both valid PEM, not a pair.
  const std::string agent = dir_ + "/agents/agent-a";
  WriteText(agent + "/agent.key", ReadText(dir_ + "/agents/agent-b/agent.key"));
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds = AgentCredentials(agent);
  ASSERT_FALSE(creds.ok());
  EXPECT_THAT(Message(creds.status()),
              HasSubstr(agent + "/agent.key does not match " + agent + "/agent.crt"));

  WriteText(dir_ + "/coordinator.key", ReadText(dir_ + "/ca.key"));
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> server = CoordinatorCredentials(dir_);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(Message(server.status()),
              HasSubstr(dir_ + "/coordinator.key does not match " + dir_ + "/coordinator.crt"));
}

TEST_F(TlsFilesTest, ACaBundleIsAccepted) {
  CertsOptions none;
  ASSERT_TRUE(InitCertificates(tmp_.File("other"), none).ok());
  WriteText(dir_ + "/ca.crt",
            ReadText(tmp_.File("other") + "/ca.crt") + ReadText(dir_ + "/ca.crt"));
  EXPECT_TRUE(CoordinatorCredentials(dir_).ok());
}

TEST_F(TlsFilesTest, CommonNameIsTheAgentId) {
  absl::StatusOr<std::string> name = CertificateCommonName(dir_ + "/agents/agent-b/agent.crt");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(*name, "agent-b");

  absl::StatusOr<std::string> missing = CertificateCommonName(dir_ + "/agents/x/agent.crt");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(Message(missing.status()), dir_ + "/agents/x/agent.crt: no such file");

  absl::StatusOr<std::string> key = CertificateCommonName(dir_ + "/ca.key");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(Message(key.status()), dir_ + "/ca.key: holds a private key, not a PEM certificate");
}

TEST_F(TlsFilesTest, ACertificateWithoutACommonNameGivesNoId) {
  const std::string no_cn = tmp_.File("no-cn.crt");
  WriteText(no_cn, SelfSigned("O", "tminus"));
  absl::StatusOr<std::string> name = CertificateCommonName(no_cn);
  ASSERT_FALSE(name.ok());
  EXPECT_EQ(Message(name.status()), no_cn + ": the certificate has no common name (CN)");

  const std::string empty_cn = tmp_.File("empty-cn.crt");
  WriteText(empty_cn, SelfSigned("CN", ""));
  name = CertificateCommonName(empty_cn);
  ASSERT_FALSE(name.ok());
  EXPECT_EQ(Message(name.status()), empty_cn + ": the certificate's common name (CN) is empty");
}

}  // namespace
}  // namespace tminus::net
