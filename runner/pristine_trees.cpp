#include "runner/pristine_trees.hpp"

#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <utility>

namespace juanie::runner {
namespace {

namespace fs = std::filesystem;

// The commit a slot's tree holds, written once the tree is complete: a slot without it (a
// move cut short by a crash or an error) holds nothing known and is checked out afresh.
constexpr const char* kCommitFile = "commit";
constexpr const char* kTreeDir = "tree";

std::string held_commit(const fs::path& slot) {
  std::ifstream in(slot / kCommitFile);
  std::string sha;
  in >> sha;
  return sha;
}

Result<void> record_commit(const fs::path& slot, const std::string& sha) {
  const fs::path temp = slot / (std::string(kCommitFile) + ".new");
  {
    std::ofstream out(temp, std::ios::trunc);
    out << sha << '\n';
    if (!out.flush()) return fail("cannot write " + temp.string());
  }
  std::error_code ec;
  fs::rename(temp, slot / kCommitFile, ec);
  if (ec) return fail("cannot write " + (slot / kCommitFile).string() + ": " + ec.message());
  return {};
}

}  // namespace

PristineTrees::PristineTrees(fs::path root, std::size_t per_key)
    : root_(std::move(root)), per_key_(per_key == 0 ? 1 : per_key) {}

PristineTrees::Lease::Lease(PristineTrees* owner, fs::path slot, fs::path path, std::string commit,
                            bool spare)
    : owner_(owner),
      slot_(std::move(slot)),
      path_(std::move(path)),
      commit_(std::move(commit)),
      spare_(spare) {}

PristineTrees::Lease::Lease(Lease&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)),
      slot_(std::move(other.slot_)),
      path_(std::move(other.path_)),
      commit_(std::move(other.commit_)),
      spare_(other.spare_) {}

PristineTrees::Lease& PristineTrees::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::exchange(other.owner_, nullptr);
    slot_ = std::move(other.slot_);
    path_ = std::move(other.path_);
    commit_ = std::move(other.commit_);
    spare_ = other.spare_;
  }
  return *this;
}

PristineTrees::Lease::~Lease() {
  release();
}

void PristineTrees::Lease::release() {
  if (owner_) owner_->release(slot_, spare_);
  owner_ = nullptr;
}

namespace {

// A readable prefix plus a hash, as the mirrors are named: distinct names never share a
// directory, and none is "." or "..".
std::string dir_name(const std::string& name) {
  std::string out;
  for (char c : name) {
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  }
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016zx", std::hash<std::string>{}(name));
  return out.substr(0, 40) + "-" + hash;
}

}  // namespace

fs::path PristineTrees::key_dir(const std::string& group, const std::string& key) const {
  return root_ / dir_name(group) / dir_name(key);
}

Result<PristineTrees::Lease> PristineTrees::acquire(const fs::path& repo, const std::string& group,
                                                    const std::string& key, const std::string& sha,
                                                    CheckoutLimits limits) {
  const fs::path dir = key_dir(group, key);
  fs::path slot;
  bool spare = false;
  {
    std::lock_guard lock(mutex_);
    std::optional<fs::path> same, other;
    for (std::size_t i = 0; i < per_key_ && !same; ++i) {
      fs::path candidate = dir / std::to_string(i);
      if (leased_[candidate]) continue;
      if (held_commit(candidate) == sha) {
        same = candidate;
      } else if (!other) {
        other = candidate;
      }
    }
    if (same || other) {
      slot = same ? *same : *other;
    } else {
      slot = dir / ("spare-" + std::to_string(++spares_));
      spare = true;
    }
    leased_[slot] = true;
  }
  Lease lease(this, slot, slot / kTreeDir, sha, spare);
  const std::string held = held_commit(slot);
  if (held == sha) return lease;

  std::error_code ec;
  // Only the daemon enters: the trees hold private repositories' files, and a tree is handed
  // to the uid of the run that leases it (the overlay reaches it with the mounter's rights).
  fs::create_directories(root_, ec);
  fs::permissions(root_, fs::perms::owner_all, ec);
  fs::create_directories(slot, ec);
  if (ec) return fail("cannot create " + slot.string() + ": " + ec.message());
  fs::remove(slot / kCommitFile, ec);
  if (held.empty()) fs::remove_all(slot / kTreeDir, ec);
  auto moved = checkout_commit(repo, sha, slot / kTreeDir, limits, held);
  if (!moved) {
    fs::remove_all(slot / kTreeDir, ec);  // perhaps half moved: made afresh next time
    return std::unexpected(moved.error());
  }
  if (auto ok = record_commit(slot, sha); !ok) return std::unexpected(ok.error());
  return lease;
}

void PristineTrees::release(const fs::path& slot, bool spare) {
  std::error_code ec;
  if (spare) {
    fs::remove_all(slot, ec);
  } else {
    // When it was last used, for sweep.
    fs::last_write_time(slot / kCommitFile, fs::file_time_type::clock::now(), ec);
  }
  std::lock_guard lock(mutex_);
  if (spare) {
    leased_.erase(slot);
  } else {
    leased_[slot] = false;
  }
}

std::uintmax_t PristineTrees::size_of(const std::string& group) const {
  std::uintmax_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root_ / dir_name(group), ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) total += it->file_size(ec);
  }
  return total;
}

int PristineTrees::sweep(fs::file_time_type cutoff) {
  int removed = 0;
  std::error_code ec;
  for (fs::directory_iterator group(root_, ec), end; !ec && group != end; group.increment(ec)) {
    std::error_code kec;
    for (fs::directory_iterator key(group->path(), kec); !kec && key != end; key.increment(kec)) {
      std::error_code sec;
      for (fs::directory_iterator slot(key->path(), sec); !sec && slot != end;
           slot.increment(sec)) {
        const fs::path path = slot->path();
        {
          // Taken as if leased while it goes, so that no acquire picks it meanwhile.
          std::lock_guard lock(mutex_);
          if (leased_[path]) continue;
          leased_[path] = true;
        }
        std::error_code tec;
        auto used = fs::last_write_time(path / kCommitFile, tec);
        if (tec) used = fs::last_write_time(path, tec);
        if (!tec && used < cutoff) {
          std::error_code rec;
          fs::remove_all(path, rec);
          if (!rec) ++removed;
        }
        std::lock_guard lock(mutex_);
        leased_.erase(path);
      }
      fs::remove(key->path(), sec);  // only when empty
    }
    fs::remove(group->path(), kec);
  }
  return removed;
}

}  // namespace juanie::runner
