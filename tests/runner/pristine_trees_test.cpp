// Pristine trees: moved from one commit to the next by what changed, exactly the commit's
// files afterwards (checked against git's own checkout of it), and never moved while leased.
#include "runner/pristine_trees.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>

#include "support/busybox_image.hpp"
#include "support/temp_dir.hpp"

namespace juanie::runner {
namespace {

namespace fs = std::filesystem;

// Every entry under `root` as git would check it out: a file's content and whether it is
// executable, a symlink's target, a directory's presence.
std::map<std::string, std::string> entries(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const std::string rel = it->path().lexically_relative(root).string();
    if (rel == ".git" || rel.starts_with(".git/")) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink()) {
      out[rel] = "link -> " + fs::read_symlink(it->path()).string();
    } else if (it->is_directory()) {
      out[rel] = "dir";
    } else {
      const bool exec =
          (fs::status(it->path()).permissions() & fs::perms::owner_exec) != fs::perms::none;
      out[rel] = (exec ? "x " : "- ") + test::read_file(it->path());
    }
  }
  return out;
}

ino_t inode(const fs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 ? st.st_ino : 0;
}

class PristineTreesTest : public ::testing::Test {
 protected:
  // Runs a script in the work tree, commits everything and pushes; the new commit.
  std::string commit(const std::string& script) {
    int status = 0;
    const std::string work = (home / "work").string();
    auto out = test::sh("cd " + work + " && " + script + " && git add -A && git " +
                            "-c user.email=dev@example.com -c user.name=Dev commit -q " +
                            "--allow-empty -m change && git push -q " + bare() +
                            " main && git rev-parse HEAD",
                        &status);
    EXPECT_EQ(status, 0) << out;
    return out.substr(out.size() - 41, 40);
  }
  std::string bare() const { return (home / "app.git").string(); }

  // git's own checkout of `sha`, to compare with.
  std::map<std::string, std::string> git_checkout(const std::string& sha) {
    const fs::path dir = home / ("git-" + sha);
    if (fs::exists(dir)) return entries(dir);
    int status = 0;
    auto out = test::sh("git clone -q " + bare() + " " + dir.string() + " && git -C " +
                            dir.string() + " checkout -q " + sha,
                        &status);
    EXPECT_EQ(status, 0) << out;
    return entries(dir);
  }

  void SetUp() override {
    int status = 0;
    auto out = test::sh("git init -q --bare -b main " + bare() + " && git init -q -b main " +
                            (home / "work").string(),
                        &status);
    ASSERT_EQ(status, 0) << out;
  }

  test::TempDir home;
  GitLibrary git;
};

TEST_F(PristineTreesTest, AMoveLeavesExactlyTheNextCommitsFilesAndRewritesOnlyWhatChanged) {
  const std::string first = commit(
      "mkdir -p dir old same && echo a > a.txt && echo b > dir/b.txt && echo run > run.sh && "
      "ln -s a.txt link && echo gone > gone.txt && echo moved > old/name.txt && "
      "echo file > becomes-link && ln -s a.txt becomes-file && echo x > becomes-dir && "
      "for i in 1 2 3 4 5; do echo $i > same/$i; done && chmod 755 same/5");
  const std::string second = commit(
      "echo changed > a.txt && rm -r dir gone.txt && chmod 755 run.sh && mkdir dir2 && "
      "echo c > dir2/c.txt && ln -sfn dir2/c.txt link && mkdir new && git mv old/name.txt "
      "new/name.txt && rm becomes-link && ln -s dir2 becomes-link && rm becomes-file && "
      "echo now-a-file > becomes-file && rm becomes-dir && mkdir becomes-dir && "
      "echo y > becomes-dir/y");

  PristineTrees trees(home / "pristine");
  ino_t unchanged = 0;
  {
    auto lease = trees.acquire(bare(), "app", "main", first);
    ASSERT_TRUE(lease) << lease.error().message;
    EXPECT_EQ(entries(lease->path()), git_checkout(first));
    unchanged = inode(lease->path() / "same/3");
  }
  {
    auto lease = trees.acquire(bare(), "app", "main", second);
    ASSERT_TRUE(lease) << lease.error().message;
    EXPECT_EQ(entries(lease->path()), git_checkout(second));
    EXPECT_EQ(lease->commit(), second);
    // The same tree, moved: a file both commits hold alike was not written again.
    EXPECT_EQ(inode(lease->path() / "same/3"), unchanged);
    EXPECT_GT(trees.size_of("app"), 0u);
  }
  // And back, across every kind of change in the other direction.
  auto lease = trees.acquire(bare(), "app", "main", first);
  ASSERT_TRUE(lease) << lease.error().message;
  EXPECT_EQ(entries(lease->path()), git_checkout(first));
  EXPECT_EQ(inode(lease->path() / "same/3"), unchanged);
}

TEST_F(PristineTreesTest, ALeasedTreeIsNeverMovedAndSparesGoWithTheirLease) {
  const std::string first = commit("echo 1 > v");
  const std::string second = commit("echo 2 > v");
  PristineTrees trees(home / "pristine", 1);
  auto held = trees.acquire(bare(), "app", "main", first);
  ASSERT_TRUE(held) << held.error().message;
  // The only tree of the key is leased: the next commit gets a spare, and the leased one still
  // holds its commit.
  auto other = trees.acquire(bare(), "app", "main", second);
  ASSERT_TRUE(other) << other.error().message;
  EXPECT_NE(other->path(), held->path());
  EXPECT_EQ(test::read_file(held->path() / "v"), "1\n");
  EXPECT_EQ(test::read_file(other->path() / "v"), "2\n");
  const fs::path spare = other->path();
  *other = std::move(*held);  // the spare's lease ends: it is removed
  EXPECT_FALSE(fs::exists(spare));
  EXPECT_EQ(test::read_file(other->path() / "v"), "1\n");
}

TEST_F(PristineTreesTest, ATreeWhoseMoveWasCutShortIsMadeAfresh) {
  const std::string first = commit("echo 1 > v");
  const std::string second = commit("echo 2 > v && echo w > w");
  PristineTrees trees(home / "pristine", 1);
  fs::path path;
  {
    auto lease = trees.acquire(bare(), "app", "main", first);
    ASSERT_TRUE(lease) << lease.error().message;
    path = lease->path();
  }
  // A crash in the middle of a move: the commit it held is no longer recorded, and the tree
  // holds a file of neither commit.
  fs::remove(path.parent_path() / "commit");
  std::ofstream(path / "stray") << "left over";
  auto lease = trees.acquire(bare(), "app", "main", second);
  ASSERT_TRUE(lease) << lease.error().message;
  EXPECT_EQ(entries(lease->path()), git_checkout(second));
}

TEST_F(PristineTreesTest, ACommitOverTheLimitsIsRefusedAndLeavesNoTree) {
  const std::string first = commit("head -c 5000 /dev/zero > big");
  PristineTrees trees(home / "pristine", 1);
  auto lease =
      trees.acquire(bare(), "app", "main", first, {.file_max = 4096, .total_max = 1 << 20});
  ASSERT_FALSE(lease);
  EXPECT_NE(lease.error().message.find("big is 5000 bytes"), std::string::npos)
      << lease.error().message;
  auto again = trees.acquire(bare(), "app", "main", first);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(fs::file_size(again->path() / "big"), 5000u);
}

TEST_F(PristineTreesTest, ASweepRemovesTreesUnusedSinceTheCutoffButNeverALeasedOne) {
  const std::string first = commit("echo 1 > v");
  PristineTrees trees(home / "pristine", 1);
  fs::path idle;
  {
    auto lease = trees.acquire(bare(), "app", "feature/old", first);
    ASSERT_TRUE(lease) << lease.error().message;
    idle = lease->path();
  }
  auto held = trees.acquire(bare(), "app", "main", first);
  ASSERT_TRUE(held) << held.error().message;
  // Private repositories' files: nobody but the daemon passes the trees' root.
  EXPECT_EQ(fs::status(home / "pristine").permissions() & fs::perms::all, fs::perms::owner_all);
  const auto before_use = fs::file_time_type::clock::now() - std::chrono::hours(1);
  EXPECT_EQ(trees.sweep(before_use), 0);  // both used since
  EXPECT_TRUE(fs::exists(idle));

  const auto later = fs::file_time_type::clock::now() + std::chrono::seconds(1);
  EXPECT_EQ(trees.sweep(later), 1);
  EXPECT_FALSE(fs::exists(idle));
  EXPECT_FALSE(fs::exists(idle.parent_path().parent_path()));  // the branch's directory too
  ASSERT_TRUE(fs::exists(held->path() / "v"));
  EXPECT_EQ(trees.size_of("app"), 2u + 41u);  // v, and the file naming the commit it holds

  // A swept branch's next run gets its tree made afresh.
  auto again = trees.acquire(bare(), "app", "feature/old", first);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(entries(again->path()), git_checkout(first));
}

}  // namespace
}  // namespace juanie::runner
