// `juanie demo` end to end: the real binary starts its daemon, registry and GitOps repository
// in a temporary home and walks the whole flow; its exit status says whether every stage did.
#include <gtest/gtest.h>

#include <string>

#include "support/shell.hpp"

namespace juanie::test {
namespace {

TEST(Demo, EveryStageOfTheFlowSucceedsAndTheExitStatusSaysSo) {
  int status = -1;
  const std::string out = sh(std::string(JUANIE_BINARY) + " demo 2>&1", &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("juanie demo: every stage went as shown"), std::string::npos) << out;
  EXPECT_EQ(out.find("✗"), std::string::npos) << out;
  EXPECT_NE(out.find("→ waiting for run 1 to finish: succeeded"), std::string::npos) << out;
  EXPECT_NE(out.find("of run 1: success"), std::string::npos) << out;
  EXPECT_NE(out.find("→ the same link again: 409"), std::string::npos) << out;
}

// A stage that fails fails the command: with no docker-registry on PATH the image cannot be
// pushed, so neither deployment happens.
TEST(Demo, AFailedStageMakesItExitOne) {
  int status = -1;
  const std::string bin = ::testing::TempDir() + "demo-path";
  sh("rm -rf " + bin + " && mkdir -p " + bin +
         " && for f in /usr/local/bin/* /usr/bin/* /bin/* /usr/sbin/* /sbin/*; do "
         "n=$(basename $f); [ \"$n\" = docker-registry ] || [ -e " +
         bin + "/$n ] || ln -s $f " + bin + "/$n; done",
     &status);
  ASSERT_EQ(status, 0);
  const std::string out =
      sh("PATH=" + bin + " " + std::string(JUANIE_BINARY) + " demo 2>&1", &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("juanie demo: FAILED"), std::string::npos) << out;
  EXPECT_NE(out.find("✗ the registry and GitOps repository could not be set up"), std::string::npos)
      << out;
}

}  // namespace
}  // namespace juanie::test
