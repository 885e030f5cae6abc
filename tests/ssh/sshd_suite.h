// A gtest fixture whose suite shares one real sshd (tests/ssh/sshd.h) in a temporary
// folder with a world-writable `scratch` folder inside, for what remote commands leave.
// Every test of the suite fails at once, saying why, when the server did not start.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/ssh/sshd.h"

namespace tminus::testing {

class SshdSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  static inline std::unique_ptr<std::string> dir_;
  static inline std::unique_ptr<Sshd> sshd_;
};

}  // namespace tminus::testing
