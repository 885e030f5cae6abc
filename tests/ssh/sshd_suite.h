// A gtest fixture whose suite shares one real sshd (tests/ssh/sshd.h) in a temporary
// folder with a world-writable `scratch` folder inside, for what remote commands leave.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "tests/ssh/sshd.h"

namespace tminus::testing {

class SshdSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/tminus-sshd-XXXXXX";
    dir_ = std::make_unique<std::string>(mkdtemp(tmpl));
    sshd_ = std::make_unique<Sshd>(*dir_);
    std::filesystem::create_directory(*dir_ + "/scratch");
    std::filesystem::permissions(*dir_ + "/scratch", std::filesystem::perms::all);
  }
  static void TearDownTestSuite() {
    sshd_.reset();
    std::filesystem::remove_all(*dir_);
    dir_.reset();
  }
  void SetUp() override { ASSERT_TRUE(sshd_->ok()) << sshd_->why(); }

  static inline std::unique_ptr<std::string> dir_;
  static inline std::unique_ptr<Sshd> sshd_;
};

}  // namespace tminus::testing
