// Real mutual TLS on loopback: a gRPC server with CoordinatorCredentials serving the real
// tminus.v1.AgentLink service, and clients with and without good certificates.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "tminus/v1/agent.grpc.pb.h"

#include "net/certs.h"
#include "net/peer_identity.h"
#include "net/tls.h"
#include "net/tls_failure_log.h"
#include "tests/net/net_test_util.h"

namespace tminus::net {
namespace {

using net_test::ReadText;
using net_test::TempDir;
using ::testing::HasSubstr;

constexpr auto kWait = std::chrono::seconds(20);

// Lines the coordinator side logged: refusals from the service and from the TLS hook.
class LogLines {
 public:
  void Add(const std::string& line) {
    std::lock_guard<std::mutex> lock(mutex_);
    lines_.push_back(line);
    changed_.notify_all();
  }
  // Waits (up to kWait) for a line containing every one of `parts`; "" if none came.
  std::string WaitFor(const std::vector<std::string>& parts) {
    std::unique_lock<std::mutex> lock(mutex_);
    std::string found;
    changed_.wait_for(lock, kWait, [&] {
      for (const std::string& line : lines_) {
        bool all = true;
        for (const std::string& part : parts) all = all && line.find(part) != std::string::npos;
        if (all) {
          found = line;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  std::string Dump() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string all;
    for (const std::string& line : lines_) all += line + "\n";
    return all;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
};

LogLines& Log() {
  static LogLines* log = new LogLines;  // outlives gRPC's threads
  return *log;
}

// What a coordinator does first on every stream: authenticate, refuse and log, or read the
// Hello and welcome the agent.
class TestAgentLink final : public v1::AgentLink::Service {
 public:
  grpc::Status Connect(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::CoordinatorMessage, v1::AgentMessage>* stream) override {
    absl::StatusOr<std::string> agent = AuthenticatedAgent(*context);
    if (!agent.ok()) {
      Log().Add("tminus: " + std::string(agent.status().message()));
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(agent.status().message()));
    }
    v1::AgentMessage first;
    if (!stream->Read(&first) || !first.has_hello()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "expected a Hello");
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      seen_.push_back(*agent + " said " + first.hello().agent_id() + ", PeerAgentId " +
                      PeerAgentId(*context->auth_context()));
    }
    v1::CoordinatorMessage welcome;
    welcome.mutable_welcome()->set_coordinator_id("test-coordinator");
    stream->Write(welcome);
    return grpc::Status::OK;
  }

  std::vector<std::string> seen() {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> seen_;
};

// The outcome of one Connect from a client.
struct Outcome {
  grpc::Status status;
  std::string coordinator_id;  // from the Welcome
};

class MutualTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    InstallTlsFailureLog([](const std::string& line) { Log().Add(line); });
  }

  void SetUp() override {
    dir_ = tmp_.File("certs");
    CertsOptions options;
    options.agent_ids = {"agent-a"};
    ASSERT_TRUE(InitCertificates(dir_, options).ok());
    other_ = tmp_.File("other");
    options.agent_ids = {"agent-a"};
    ASSERT_TRUE(InitCertificates(other_, options).ok());

    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds = CoordinatorCredentials(dir_);
    ASSERT_TRUE(creds.ok()) << creds.status();
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", *creds, &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
  }

  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }

  Outcome Connect(std::shared_ptr<grpc::ChannelCredentials> creds, const std::string& host,
                  const grpc::ChannelArguments& args = {}) {
    std::shared_ptr<grpc::Channel> channel =
        grpc::CreateCustomChannel(host + ":" + std::to_string(port_), creds, args);
    std::unique_ptr<v1::AgentLink::Stub> stub = v1::AgentLink::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kWait);
    auto stream = stub->Connect(&context);
    v1::AgentMessage hello;
    hello.mutable_hello()->set_agent_id("agent-a");
    hello.mutable_hello()->set_protocol_version(1);
    Outcome outcome;
    if (stream->Write(hello)) {
      v1::CoordinatorMessage reply;
      if (stream->Read(&reply) && reply.has_welcome()) {
        outcome.coordinator_id = reply.welcome().coordinator_id();
      }
      stream->WritesDone();
    }
    outcome.status = stream->Finish();
    return outcome;
  }

  // Channel credentials from files, to mix and match.
  static std::shared_ptr<grpc::ChannelCredentials> Credentials(const std::string& ca,
                                                               const std::string& cert,
                                                               const std::string& key) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadText(ca);
    if (!cert.empty()) options.pem_cert_chain = ReadText(cert);
    if (!key.empty()) options.pem_private_key = ReadText(key);
    return grpc::SslCredentials(options);
  }

  TempDir tmp_;
  std::string dir_;
  std::string other_;
  TestAgentLink service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

TEST_F(MutualTlsTest, AnAgentWithItsCertificateIsKnownByItsCommonName) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds =
      AgentCredentials(dir_ + "/agents/agent-a");
  ASSERT_TRUE(creds.ok()) << creds.status();
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    const Outcome outcome = Connect(*creds, host);
    EXPECT_TRUE(outcome.status.ok()) << host << ": " << outcome.status.error_message();
    EXPECT_EQ(outcome.coordinator_id, "test-coordinator") << host;
  }
  EXPECT_EQ(service_.seen(),
            std::vector<std::string>(2, "agent-a said agent-a, PeerAgentId agent-a"));
}

TEST_F(MutualTlsTest, AClientWithoutACertificateIsRefusedAndLoggedWithItsAddress) {
  const Outcome outcome = Connect(Credentials(dir_ + "/ca.crt", "", ""), "127.0.0.1");
  EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << outcome.status.error_message();
  EXPECT_THAT(outcome.status.error_message(), HasSubstr("no client certificate"));
  EXPECT_EQ(outcome.coordinator_id, "");
  EXPECT_TRUE(service_.seen().empty());
  const std::string line =
      Log().WaitFor({"tminus: refused a connection from ipv4:127.0.0.1:", "no client certificate"});
  EXPECT_NE(line, "") << Log().Dump();
}

TEST_F(MutualTlsTest, ACertificateFromAnotherCaFailsTheHandshakeAndIsLogged) {
  const std::string agent = other_ + "/agents/agent-a";
  // Trusts the right coordinator, but its own certificate comes from the other CA.
  const Outcome outcome = Connect(
      Credentials(dir_ + "/ca.crt", agent + "/agent.crt", agent + "/agent.key"), "127.0.0.1");
  EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << outcome.status.error_message();
  EXPECT_EQ(outcome.coordinator_id, "");
  EXPECT_TRUE(service_.seen().empty());
  const std::string line = Log().WaitFor(
      {"tminus: refused a connection: TLS handshake failed (certificate verify failed)",
       "not from the coordinator's CA"});
  EXPECT_NE(line, "") << Log().Dump();
}

TEST_F(MutualTlsTest, TheCoordinatorsOwnCertificateIsNoClientCertificate) {
  // Signed by the right CA, but for serverAuth only: TLS refuses it as a client's.
  const Outcome outcome =
      Connect(Credentials(dir_ + "/ca.crt", dir_ + "/coordinator.crt", dir_ + "/coordinator.key"),
              "127.0.0.1");
  EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << outcome.status.error_message();
  EXPECT_TRUE(service_.seen().empty());
}

TEST_F(MutualTlsTest, AnAgentThatDoesNotTrustTheCoordinatorsCaFails) {
  // Its certificate is good; the CA it checks the coordinator with is the other one.
  const std::string agent = dir_ + "/agents/agent-a";
  const Outcome outcome = Connect(
      Credentials(other_ + "/ca.crt", agent + "/agent.crt", agent + "/agent.key"), "127.0.0.1");
  EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << outcome.status.error_message();
  EXPECT_EQ(outcome.coordinator_id, "");
  EXPECT_TRUE(service_.seen().empty());
}

TEST_F(MutualTlsTest, AnAgentRefusesACoordinatorCertificateForAnotherName) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds =
      AgentCredentials(dir_ + "/agents/agent-a");
  ASSERT_TRUE(creds.ok()) << creds.status();
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("coordinator.example.com");  // not in the certificate
  const Outcome outcome = Connect(*creds, "127.0.0.1", args);
  EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << outcome.status.error_message();
  EXPECT_TRUE(service_.seen().empty());
}

TEST_F(MutualTlsTest, PlaintextIsRefused) {
  const Outcome outcome = Connect(grpc::InsecureChannelCredentials(), "127.0.0.1");
  EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << outcome.status.error_message();
  EXPECT_TRUE(service_.seen().empty());
  const std::string line =
      Log().WaitFor({"tminus: refused a connection: TLS handshake failed", "does not speak TLS"});
  EXPECT_NE(line, "") << Log().Dump();
}

}  // namespace
}  // namespace tminus::net
