// The agent protocol's messages carry what the coordinator and agents exchange, including
// output that is not valid UTF-8, and the generated service has the one stream.
#include <string>
#include <type_traits>

#include "gtest/gtest.h"
#include "tminus/v1/agent.grpc.pb.h"
#include "tminus/v1/agent.pb.h"

namespace tminus {
namespace {

TEST(AgentProtoTest, ADispatchRoundTripsWithItsArgvIntact) {
  v1::CoordinatorMessage message;
  v1::Dispatch* dispatch = message.mutable_dispatch();
  dispatch->mutable_id()->set_run_id("run-1");
  dispatch->mutable_id()->set_step_id("db-backup");
  dispatch->mutable_id()->set_attempt(2);
  dispatch->mutable_id()->set_host("dc-a-1");
  // One argument with spaces and shell metacharacters stays one argument.
  dispatch->mutable_command()->add_argv("/usr/bin/pg_dump");
  dispatch->mutable_command()->add_argv("--file=/backups/a b; rm -rf /");
  dispatch->set_timeout_ms(30000);
  dispatch->add_redact("s3cr3t");

  std::string wire;
  ASSERT_TRUE(message.SerializeToString(&wire));
  v1::CoordinatorMessage back;
  ASSERT_TRUE(back.ParseFromString(wire));
  ASSERT_EQ(back.kind_case(), v1::CoordinatorMessage::kDispatch);
  ASSERT_EQ(back.dispatch().action_case(), v1::Dispatch::kCommand);
  ASSERT_EQ(back.dispatch().command().argv_size(), 2);
  EXPECT_EQ(back.dispatch().command().argv(1), "--file=/backups/a b; rm -rf /");
  EXPECT_EQ(back.dispatch().id().step_id(), "db-backup");
  EXPECT_EQ(back.dispatch().id().attempt(), 2u);
  EXPECT_FALSE(back.dispatch().id().rollback());
  EXPECT_EQ(back.dispatch().timeout_ms(), 30000u);
}

TEST(AgentProtoTest, AResultCarriesOutputCutInsideACharacter) {
  v1::AgentMessage message;
  v1::Result* result = message.mutable_result();
  result->mutable_id()->set_step_id("smoke");
  // The tail starts in the middle of "é" (0xC3 0xA9) and holds a stray 0xFF byte.
  const std::string tail("\xA9t\xFF ok\n", 6);
  result->set_stdout_tail(tail);
  result->set_exit_code(-1);
  result->set_timed_out(true);

  std::string wire;
  ASSERT_TRUE(message.SerializeToString(&wire));
  v1::AgentMessage back;
  ASSERT_TRUE(back.ParseFromString(wire));
  EXPECT_EQ(back.result().stdout_tail(), tail);
  EXPECT_EQ(back.result().exit_code(), -1);
  EXPECT_TRUE(back.result().timed_out());
}

TEST(AgentProtoTest, TheServiceHasOneBidirectionalStream) {
  // The coordinator implements the generated service.
  static_assert(std::is_polymorphic<v1::AgentLink::Service>::value, "generated gRPC service");
  const auto* service = v1::AgentMessage::descriptor()->file()->FindServiceByName("AgentLink");
  ASSERT_NE(service, nullptr);
  ASSERT_EQ(service->method_count(), 1);
  const auto* connect = service->method(0);
  EXPECT_EQ(connect->name(), "Connect");
  EXPECT_TRUE(connect->client_streaming());
  EXPECT_TRUE(connect->server_streaming());
  EXPECT_EQ(connect->input_type()->full_name(), "tminus.v1.AgentMessage");
  EXPECT_EQ(connect->output_type()->full_name(), "tminus.v1.CoordinatorMessage");
}

}  // namespace
}  // namespace tminus
