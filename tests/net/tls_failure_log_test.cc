// What the coordinator logs for gRPC's handshake failure messages (the text gRPC 1.51 logs
// from src/core/tsi/ssl_transport_security.cc).
#include "net/tls_failure_log.h"

#include <gtest/gtest.h>

namespace tminus::net {
namespace {

TEST(TlsFailureLogTest, ACertificateFromAnotherCaIsExplained) {
  EXPECT_EQ(DescribeHandshakeFailure("Handshake failed with fatal error SSL_ERROR_SSL: "
                                     "error:0A000086:SSL routines::certificate verify failed."),
            "tminus: refused a connection: TLS handshake failed (certificate verify failed): the "
            "client's certificate is not from the coordinator's CA, has expired, or is not for "
            "client use");
}

TEST(TlsFailureLogTest, PlaintextIsExplained) {
  EXPECT_EQ(DescribeHandshakeFailure("Handshake failed with fatal error SSL_ERROR_SSL: "
                                     "error:0A00010B:SSL routines::wrong version number."),
            "tminus: refused a connection: TLS handshake failed (wrong version number): the "
            "client does not speak TLS (an agent started with --insecure?)");
}

TEST(TlsFailureLogTest, AnUnknownReasonIsKeptAsIs) {
  EXPECT_EQ(DescribeHandshakeFailure("Handshake failed with fatal error SSL_ERROR_SSL: "
                                     "error:0A0000FF:SSL routines::something new."),
            "tminus: refused a connection: TLS handshake failed (something new)");
}

TEST(TlsFailureLogTest, OtherMessagesAreNotHandshakeFailures) {
  EXPECT_EQ(DescribeHandshakeFailure("Synchronous server. Num CQs: 1"), "");
  EXPECT_EQ(DescribeHandshakeFailure(""), "");
}

}  // namespace
}  // namespace tminus::net
