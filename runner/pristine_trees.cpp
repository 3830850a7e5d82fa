#include "runner/pristine_trees.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

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

PristineTrees::PristineTrees(fs::path root, std::size_t per_key, std::size_t keys_per_group)
    : root_(std::move(root)),
      per_key_(per_key == 0 ? 1 : per_key),
      max_keys_(keys_per_group == 0 ? 1 : keys_per_group) {}

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
  std::error_code exists_ec;
  if (!fs::exists(dir, exists_ec)) make_room(dir.parent_path(), dir);
  fs::path slot;
  bool spare = false;
  std::error_code ec;
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
    // Only the daemon enters: the trees hold private repositories' files, and a tree is
    // handed to the uid of the run that leases it (the overlay reaches it with the mounter's
    // rights). Made under the lock, which a sweep's removal of empty directories takes too.
    fs::create_directories(root_, ec);
    fs::permissions(root_, fs::perms::owner_all, ec);
    fs::create_directories(slot, ec);
  }
  Lease lease(this, slot, slot / kTreeDir, sha, spare);
  if (ec) return fail("cannot create " + slot.string() + ": " + ec.message());
  const std::string held = held_commit(slot);
  if (held == sha) return lease;

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

fs::file_time_type PristineTrees::last_used(const fs::path& slot) {
  std::error_code ec;
  auto used = fs::last_write_time(slot / kCommitFile, ec);
  if (ec) used = fs::last_write_time(slot, ec);
  return ec ? fs::file_time_type::min() : used;
}

bool PristineTrees::remove_if_idle(const fs::path& slot, fs::file_time_type cutoff) {
  {
    // Taken as if leased while it goes, so that no acquire picks it meanwhile.
    std::lock_guard lock(mutex_);
    if (leased_[slot]) return false;
    leased_[slot] = true;
  }
  bool removed = false;
  if (last_used(slot) < cutoff) {
    std::error_code ec;
    fs::remove_all(slot, ec);
    removed = !ec;
  }
  std::lock_guard lock(mutex_);
  leased_.erase(slot);
  return removed;
}

void PristineTrees::remove_if_empty(const fs::path& dir) {
  std::lock_guard lock(mutex_);
  std::error_code ec;
  fs::remove(dir, ec);  // fails, harmlessly, unless empty
}

void PristineTrees::make_room(const fs::path& group, const fs::path& keep) {
  std::vector<std::pair<fs::file_time_type, fs::path>> keys;
  std::error_code ec;
  for (fs::directory_iterator key(group, ec), end; !ec && key != end; key.increment(ec)) {
    if (key->path() == keep) continue;
    auto newest = fs::file_time_type::min();
    std::error_code sec;
    for (fs::directory_iterator slot(key->path(), sec); !sec && slot != end; slot.increment(sec))
      newest = std::max(newest, last_used(slot->path()));
    keys.emplace_back(newest, key->path());
  }
  if (keys.size() < max_keys_) return;
  // The branches used least lately go, whole, until there is room for one more.
  std::sort(keys.begin(), keys.end());
  // A branch with a leased tree stays (the limit yields to leases, never the reverse).
  std::size_t needed = keys.size() + 1 - max_keys_;
  for (std::size_t i = 0; i < keys.size() && needed > 0; ++i) {
    std::error_code sec;
    for (fs::directory_iterator slot(keys[i].second, sec), end; !sec && slot != end;
         slot.increment(sec)) {
      remove_if_idle(slot->path(), fs::file_time_type::max());
    }
    remove_if_empty(keys[i].second);
    std::error_code gone;
    if (!fs::exists(keys[i].second, gone)) --needed;
  }
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
        if (remove_if_idle(slot->path(), cutoff)) ++removed;
      }
      remove_if_empty(key->path());
    }
    remove_if_empty(group->path());
  }
  return removed;
}

}  // namespace juanie::runner
