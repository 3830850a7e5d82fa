#include "daemon/api/loggable_path.hpp"

#include <gtest/gtest.h>

namespace juanie::daemon::api {
namespace {

// A refused request is logged by its path; an approval link's path is its token, which acts for
// its approver: whoever reads the journal must not be able to approve with it.
TEST(LoggablePath, AnApprovalLinkIsWithheldOtherPathsAreKept) {
  EXPECT_EQ(loggable_path("/approve/eyJkIjoxfQ.c2lnbmF0dXJl"), "/approve/(link withheld)");
  EXPECT_EQ(loggable_path("/approve/"), "/approve/");
  EXPECT_EQ(loggable_path("/hooks/github/shop"), "/hooks/github/shop");
  EXPECT_EQ(loggable_path("/api/v1/runs/3"), "/api/v1/runs/3");
}

}  // namespace
}  // namespace juanie::daemon::api
