#include "runner/step_cgroup.hpp"

#include <gtest/gtest.h>

namespace juanie::runner {
namespace {

// This build machine: cgroup v1 controllers, a v2 hierarchy without them, and a memory cgroup
// nested below the hierarchy's root.
TEST(CgroupPlaces, FindsEachV1ControllersDirectoryBelowItsMount) {
  const auto places = cgroup_places(
      "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/7841\n2:cpu,cpuacct:/a\n0::/\n",
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n");
  EXPECT_EQ(places.legacy.at("memory"), "/sys/fs/cgroup/memory/process_api/7841");
  EXPECT_EQ(places.legacy.at("pids"), "/sys/fs/cgroup/pids");
  EXPECT_EQ(places.legacy.at("cpuacct"), "/sys/fs/cgroup/cpu,cpuacct/a");
  EXPECT_FALSE(places.legacy.contains("name=systemd"));
  EXPECT_EQ(places.unified, "/sys/fs/cgroup/unified");
  // Where each hierarchy is mounted: a container engine's --cgroup-parent is a path from there.
  EXPECT_EQ(places.legacy_mounts.at("memory"), "/sys/fs/cgroup/memory");
  EXPECT_EQ(places.legacy_mounts.at("cpu"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(places.unified_mount, "/sys/fs/cgroup/unified");
}

// A systemd host on cgroup v2: the service's own cgroup.
TEST(CgroupPlaces, FindsTheServicesV2Cgroup) {
  const auto places = cgroup_places(
      "0::/system.slice/juanie.service\n",
      "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
      "rw,nsdelegate,memory_recursiveprot\n");
  EXPECT_EQ(places.unified, "/sys/fs/cgroup/system.slice/juanie.service");
  EXPECT_TRUE(places.legacy.empty());
}

// In a container the hierarchy is often a bind of a subtree: its root is not "/".
TEST(CgroupPlaces, TakesTheMountsRootOffThePath) {
  const auto places = cgroup_places(
      "0::/docker/abc/inner\n", "30 23 0:26 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  EXPECT_EQ(places.unified, "/sys/fs/cgroup/inner");
  // A cgroup outside the bound subtree cannot be reached.
  EXPECT_FALSE(cgroup_places("0::/elsewhere\n",
                             "30 23 0:26 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
                   .unified);
  EXPECT_FALSE(cgroup_places("0::/docker/abcdef\n",
                             "30 23 0:26 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
                   .unified);
}

TEST(CgroupPlaces, UnescapesMountPoints) {
  const auto places = cgroup_places(
      "4:memory:/x\n", "35 31 0:32 / /mnt/my\\040cgroups rw - cgroup cgroup rw,memory\n");
  EXPECT_EQ(places.legacy.at("memory"), "/mnt/my cgroups/x");
}

TEST(CgroupCounter, ReadsOneKeyOfAFlatKeyedFile) {
  const std::string v1 = "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n";
  EXPECT_EQ(cgroup_counter(v1, "oom_kill"), 2u);
  EXPECT_EQ(cgroup_counter(v1, "under_oom"), 0u);
  EXPECT_EQ(cgroup_counter("low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\noom_group_kill 1\n", "max"),
            5u);
  EXPECT_EQ(cgroup_counter("max 5\n", "oom_kill"), 0u);
}

}  // namespace
}  // namespace juanie::runner
