#include "daemon/api/paging.hpp"

#include <gtest/gtest.h>

namespace juanie::daemon::api {
namespace {

http::Request get(std::string target) {
  http::Request r;
  r.method = "GET";
  r.target = std::move(target);
  return r;
}

struct Row {
  std::int64_t id;
};

TEST(Paging, ReadsLimitAndCursor) {
  auto none = parse_page(get("/api/v1/runs"));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->limit, 100);
  EXPECT_FALSE(none->before);
  auto both = parse_page(get("/api/v1/runs?project=a&limit=1000&before=42"));
  ASSERT_TRUE(both);
  EXPECT_EQ(both->limit, 1000);
  EXPECT_EQ(both->before, 42);
  for (const char* bad : {"?limit=0", "?limit=1001", "?limit=-1", "?limit=1.5", "?limit=%20",
                          "?before=0", "?before=x", "?before=", "?before=99999999999999999999"}) {
    EXPECT_FALSE(parse_page(get(std::string("/x") + bad))) << bad;
  }
}

TEST(Paging, TheExtraRowMakesTheCursor) {
  Page page{2, std::nullopt};
  std::vector<Row> three{{9}, {7}, {4}};
  EXPECT_EQ(cut_page(three, page), 7);
  EXPECT_EQ(three.size(), 2u);
  std::vector<Row> two{{9}, {7}};
  EXPECT_EQ(cut_page(two, page), std::nullopt);
  EXPECT_EQ(two.size(), 2u);
}

}  // namespace
}  // namespace juanie::daemon::api
