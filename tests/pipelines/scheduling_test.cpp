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
                    {{"a", {1, 0}}}, {3, 1});
  EXPECT_EQ(d.start, (Ids{6}));
  auto full = schedule({{7, "b", "refs/heads/z"}}, {{"a", {2, 0}}}, {2, 2});
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

// A stranger's pull requests wait for the project's fork places; the project's own runs, and
// other projects', go past them.
TEST(Schedule, ForkRunsWaitForTheProjectsForkPlacesWhileOtherRunsGoPast) {
  const ScheduleLimits limits{
      .concurrent_runs = 10, .per_project = 5, .forks_per_project = {{"a", 2}, {"b", 2}}};
  auto d = schedule({{1, "a", "refs/pull/1/head", true},
                     {2, "a", "refs/pull/2/head", true},
                     {3, "a", "refs/pull/3/head", true},
                     {4, "a", "refs/heads/main"},
                     {5, "a", "refs/pull/4/head"},  // from the project's own repository
                     {6, "b", "refs/pull/1/head", true}},
                    {}, limits);
  EXPECT_EQ(d.start, (Ids{1, 2, 4, 5, 6}));
  EXPECT_TRUE(d.superseded.empty());

  // Two of a's forks still run: the third waits, and a push does not.
  auto busy = schedule({{3, "a", "refs/pull/3/head", true}, {7, "a", "refs/heads/develop"}},
                       {{"a", {2, 2}}}, limits);
  EXPECT_EQ(busy.start, (Ids{7}));
  // One of them ended: the waiting fork run starts.
  auto freed = schedule({{3, "a", "refs/pull/3/head", true}}, {{"a", {1, 1}}}, limits);
  EXPECT_EQ(freed.start, (Ids{3}));
  // Running runs of the project's own that fill no fork place do not hold a fork run.
  auto own = schedule({{3, "a", "refs/pull/3/head", true}}, {{"a", {4, 0}}}, limits);
  EXPECT_EQ(own.start, (Ids{3}));
}

TEST(Schedule, TheForkCapIsWithinTheProjectAndGlobalLimits) {
  // The project's limit binds first: one place left, and the fork cap would allow two.
  auto project = schedule(
      {{1, "a", "refs/pull/1/head", true}, {2, "a", "refs/pull/2/head", true}}, {{"a", {1, 0}}},
      {.concurrent_runs = 10, .per_project = 2, .forks_per_project = {{"a", 2}}});
  EXPECT_EQ(project.start, (Ids{1}));
  // A project without a cap of its own (none configured) is held by the other limits alone.
  auto uncapped = schedule(
      {{1, "c", "refs/pull/1/head", true},
       {2, "c", "refs/pull/2/head", true},
       {3, "c", "refs/pull/3/head", true}},
      {{"c", {0, 0}}}, {.concurrent_runs = 10, .per_project = 10, .forks_per_project = {{"a", 1}}});
  EXPECT_EQ(uncapped.start, (Ids{1, 2, 3}));
  // A cap of one: the second fork waits, even with every other place free.
  auto one = schedule({{1, "a", "refs/pull/1/head", true}, {2, "a", "refs/pull/2/head", true}}, {},
                      {.concurrent_runs = 10, .per_project = 10, .forks_per_project = {{"a", 1}}});
  EXPECT_EQ(one.start, (Ids{1}));
}

// Whatever max_concurrent_forks says, fork runs leave a place of the daemon and of each project
// to other runs: under the defaults (2 places, a cap of 2) a stranger's two pull requests take
// one place, and a push of the project takes the other.
TEST(Schedule, ForkRunsNeverTakeTheLastPlaceOfTheDaemonOrOfAProject) {
  const ScheduleLimits defaults{
      .concurrent_runs = 2, .per_project = 2, .forks_per_project = {{"a", 2}, {"b", 2}}};
  auto d = schedule({{1, "a", "refs/pull/1/head", true}, {2, "a", "refs/pull/2/head", true}}, {},
                    defaults);
  EXPECT_EQ(d.start, (Ids{1}));
  auto push = schedule({{2, "a", "refs/pull/2/head", true}, {3, "a", "refs/heads/main"}},
                       {{"a", {1, 1}}}, defaults);
  EXPECT_EQ(push.start, (Ids{3}));
  // Across projects: four places, forks of two projects take three at most.
  const ScheduleLimits four{
      .concurrent_runs = 4, .per_project = 4, .forks_per_project = {{"a", 2}, {"b", 2}}};
  auto spread = schedule({{1, "a", "refs/pull/1/head", true},
                          {2, "a", "refs/pull/2/head", true},
                          {3, "b", "refs/pull/1/head", true},
                          {4, "b", "refs/pull/2/head", true},
                          {5, "c", "refs/heads/main"}},
                         {}, four);
  EXPECT_EQ(spread.start, (Ids{1, 2, 3, 5}));
  // A project of one place: its fork run waits for it like any run, never past the cap.
  auto single = schedule({{1, "a", "refs/pull/1/head", true}}, {},
                         {.concurrent_runs = 1, .per_project = 1, .forks_per_project = {{"a", 2}}});
  EXPECT_EQ(single.start, (Ids{1}));
}

// A newer push to a fork's pull request still supersedes its older queued run, held or not.
TEST(Schedule, AHeldForkRunIsStillSupersededByANewerOne) {
  auto d = schedule({{1, "a", "refs/pull/1/head", true}, {2, "a", "refs/pull/1/head", true}},
                    {{"a", {1, 1}}},
                    {.concurrent_runs = 10, .per_project = 10, .forks_per_project = {{"a", 1}}});
  EXPECT_TRUE(d.start.empty());
  EXPECT_EQ(d.superseded.at(1), 2);
}

}  // namespace
}  // namespace juanie::pipelines
