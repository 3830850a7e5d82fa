#include "daemon/api/start_run.hpp"

#include <gtest/gtest.h>

namespace juanie::daemon::api {
namespace {

TEST(StartRun, TheBodyNamesARefAndNothingElse) {
  EXPECT_EQ(parse_start_run_body(R"({"ref": "main"})").value(), "main");
  EXPECT_EQ(parse_start_run_body(R"({"ref":"refs/tags/v1"})").value(), "refs/tags/v1");
  for (const char* bad :
       {"", "{", "null", "[]", R"("main")", "{}", R"({"ref": null})", R"({"ref": ""})",
        R"({"ref": ["main"]})", R"({"ref": "main", "commit": "abc"})"}) {
    auto r = parse_start_run_body(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalid) << bad;
  }
}

TEST(StartRun, ThePathNamesOneProject) {
  EXPECT_EQ(start_run_project("/api/v1/projects/shop-api/runs"), "shop-api");
  EXPECT_EQ(start_run_project("/api/v1/projects//runs"), "");
  EXPECT_EQ(start_run_project("/api/v1/projects/a/b/runs"), "");
  // The prefix and the suffix overlap here: no project, and no reading before the start.
  EXPECT_EQ(start_run_project("/api/v1/projects/runs"), "");
  EXPECT_EQ(start_run_project("/api/v1/projects/"), "");
  EXPECT_EQ(start_run_project("/api/v1/projects/a/runs/1"), "");
  EXPECT_EQ(start_run_project("/api/v1/projects/a"), "");
}

}  // namespace
}  // namespace juanie::daemon::api
