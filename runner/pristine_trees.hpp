#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "pipelines/error.hpp"
#include "runner/git_checkout.hpp"

namespace juanie::runner {

// Checked-out trees kept between runs, a few per key (a branch) of a group (a project), each
// moved from
// the commit it holds to the next by what differs between the two trees, so a push that
// changes ten files of a 100k-file repository writes ten files. Only the daemon writes them:
// a run sees one only as the read-only lower layer of its workspace, and a tree leased to a
// run is never moved until the lease ends (an overlay's lower layer must not change under it).
class PristineTrees {
 public:
  // Trees live under `root`; at most `per_key` are kept per key (more are made while that
  // many are leased at once, and removed when their lease ends).
  explicit PristineTrees(std::filesystem::path root, std::size_t per_key = 2);

  class Lease {
   public:
    Lease(Lease&&) noexcept;
    Lease& operator=(Lease&&) noexcept;
    ~Lease();
    const std::filesystem::path& path() const { return path_; }  // the files of the commit
    const std::string& commit() const { return commit_; }

   private:
    friend class PristineTrees;
    Lease(PristineTrees* owner, std::filesystem::path slot, std::filesystem::path path,
          std::string commit, bool spare);
    void release();
    PristineTrees* owner_ = nullptr;
    std::filesystem::path slot_, path_;
    std::string commit_;
    bool spare_ = false;  // made beyond per_key: removed when released
  };

  // A tree holding exactly commit `sha` of the repository at `repo` (a mirror), leased to the
  // caller: no other lease gets it until this one ends. Limits as checkout_commit's.
  Result<Lease> acquire(const std::filesystem::path& repo, const std::string& group,
                        const std::string& key, const std::string& sha, CheckoutLimits limits = {});

  // What the trees of `group` hold on disk, in bytes (file sizes, as du counts without blocks).
  std::uintmax_t size_of(const std::string& group) const;

  // Removes every tree not leased now whose last lease ended before `cutoff` (a branch no
  // longer pushed to, or, with now, all that can go when the disk runs low); how many.
  int sweep(std::filesystem::file_time_type cutoff);

 private:
  std::filesystem::path key_dir(const std::string& group, const std::string& key) const;
  void release(const std::filesystem::path& slot, bool spare);

  std::filesystem::path root_;
  std::size_t per_key_;
  mutable std::mutex mutex_;
  std::map<std::filesystem::path, bool> leased_;  // slot → leased now
  std::size_t spares_ = 0;                        // names for slots made beyond per_key
};

}  // namespace juanie::runner
