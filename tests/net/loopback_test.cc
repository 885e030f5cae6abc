// IsLoopbackAddress gates --insecure: only addresses that stay on this host pass.
#include "net/loopback.h"

#include <string>

#include <gtest/gtest.h>

namespace tminus::net {
namespace {

TEST(LoopbackTest, LoopbackAddressesPass) {
  for (const std::string address :
       {"127.0.0.1:7443", "127.1.2.3:80", "localhost:7443", "LOCALHOST:1", "[::1]:7443", "[::1]",
        "::1", "127.0.0.1", "localhost", "ipv4:127.0.0.1:7443", "ipv4:127.0.0.1:1,127.0.0.2:2",
        "ipv6:[::1]:7443", "dns:///localhost:7443", "dns:localhost:7443", "[::ffff:127.0.0.1]:7443",
        "unix:/run/tminus.sock", "unix-abstract:tminus"}) {
    EXPECT_TRUE(IsLoopbackAddress(address)) << address;
  }
}

TEST(LoopbackTest, WildcardsAndOtherHostsDoNot) {
  for (const std::string address :
       {"0.0.0.0:7443", "[::]:7443", ":7443", "10.0.0.5:7443", "192.168.1.1:80",
        "coordinator.example.com:7443", "localhost.example.com:7443", "[::2]:7443",
        "128.0.0.1:7443", "ipv4:127.0.0.1:1,10.0.0.1:2", "ipv4:", "", "[::1", "[::1]x",
        "127.0.0.1:port", "127.0.0.1:123456", "dns://8.8.8.8/localhost:7443",
        "[::ffff:10.0.0.1]:7443", "my-localhost:7443"}) {
    EXPECT_FALSE(IsLoopbackAddress(address)) << address;
  }
}

}  // namespace
}  // namespace tminus::net
