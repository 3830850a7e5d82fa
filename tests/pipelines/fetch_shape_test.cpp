#include "pipelines/fetch_shape.hpp"

#include <gtest/gtest.h>

namespace juanie::pipelines {
namespace {

TEST(FetchShape, OnlyBlobFiltersThatLeaveEveryTreeAreValid) {
  for (const char* ok : {"blob:none", "blob:limit=0", "blob:limit=1024", "blob:limit=10k",
                         "blob:limit=5m", "blob:limit=1g"}) {
    EXPECT_TRUE(valid_fetch_filter(ok)) << ok;
  }
  for (const char* bad :
       {"", "blob", "blob:limit=", "blob:limit=k", "blob:limit=1t", "blob:limit=-1",
        "blob:limit=1kb", "tree:0", "tree:1", "sparse:oid=main:.sparse", "combine:blob:none+tree:0",
        "object:type=blob", "blob:none ", " blob:none", "blob:limit=1234567890123", "--depth=1"}) {
    EXPECT_FALSE(valid_fetch_filter(bad)) << bad;
  }
}

TEST(FetchShape, DescribesWhatTheMirrorRemembers) {
  EXPECT_EQ(describe({}), "");
  EXPECT_TRUE(FetchShape{}.whole());
  EXPECT_EQ(describe({50, ""}), "depth=50");
  EXPECT_EQ(describe({0, "blob:none"}), "filter=blob:none");
  EXPECT_EQ(describe({1, "blob:limit=1m"}), "depth=1 filter=blob:limit=1m");
  EXPECT_FALSE((FetchShape{1, ""}).whole());
}

}  // namespace
}  // namespace juanie::pipelines
