#include "daemon/http/message.hpp"

#include <gtest/gtest.h>

namespace juanie::daemon::http {
namespace {

TEST(Request, HeadersAreCaseInsensitive) {
  Request r;
  r.headers = {{"Content-Type", "application/json"}, {"X-GitHub-Event", "push"}};
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("X-GITHUB-EVENT"), "push");
  EXPECT_EQ(r.header("X-Missing"), std::nullopt);
}

TEST(Request, PathAndQuery) {
  Request r;
  r.target = "/api/v1/runs?project=shop%2Dapi&limit=5&empty=&flag";
  EXPECT_EQ(r.path(), "/api/v1/runs");
  EXPECT_EQ(r.query("project"), "shop-api");
  EXPECT_EQ(r.query("limit"), "5");
  EXPECT_EQ(r.query("empty"), "");
  EXPECT_EQ(r.query("flag"), "");
  EXPECT_EQ(r.query("nope"), std::nullopt);
  r.target = "/x?a=%zz";
  EXPECT_EQ(r.query("a"), std::nullopt);
  r.target = "/x?a=%4";
  EXPECT_EQ(r.query("a"), std::nullopt);
}

TEST(Response, ErrorsAreJson) {
  auto r = error_response(401, "bad \"signature\"");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, "{\"error\":\"bad \\\"signature\\\"\"}\n");
}

}  // namespace
}  // namespace juanie::daemon::http
