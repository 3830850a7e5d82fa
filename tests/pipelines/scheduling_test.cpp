#include "pipelines/scheduling.hpp"

#include <gtest/gtest.h>

namespace juanie::pipelines {
namespace {

using Ids = std::vector<std::int64_t>;

TEST(Schedule, StartsOldestFirstWithinTheGlobalLimit) {
  auto d = schedule({{1, "a", "refs/heads/x"}, {2, "b", "refs/heads/y"}, {3, "c", "refs/heads/z"}},
                    {}, {2, 2});
  EXPECT_EQ(d.start, (Ids{1, 2}));
  EXPECT_TRUE(d.superseded.empty());
}

TEST(Schedule, RespectsRunningRunsAndThePerProjectLimit) {
  auto d = schedule({{4, "a", "refs/heads/x"}, {5, "a", "refs/heads/y"}, {6, "b", "refs/heads/z"}},
                    {{"a", 1}}, {3, 1});
  EXPECT_EQ(d.start, (Ids{6}));
  auto full = schedule({{7, "b", "refs/heads/z"}}, {{"a", 2}}, {2, 2});
  EXPECT_TRUE(full.start.empty());
}

TEST(Schedule, ANewerPushSupersedesOlderQueuedRunsOfTheSameBranch) {
  auto d = schedule({{1, "a", "refs/heads/develop"},
                     {2, "a", "refs/heads/main"},
                     {3, "a", "refs/heads/develop"},
                     {4, "a", "refs/heads/develop"}},
                    {}, {4, 4});
  EXPECT_EQ(d.start, (Ids{2, 4}));
  EXPECT_EQ(d.superseded.at(1), 4);
  EXPECT_EQ(d.superseded.at(3), 4);
  EXPECT_EQ(d.superseded.size(), 2u);
}

TEST(Schedule, SameBranchNameInAnotherProjectIsNotSuperseded) {
  auto d = schedule({{1, "a", "refs/heads/develop"}, {2, "b", "refs/heads/develop"}}, {}, {4, 4});
  EXPECT_EQ(d.start, (Ids{1, 2}));
}

}  // namespace
}  // namespace juanie::pipelines
