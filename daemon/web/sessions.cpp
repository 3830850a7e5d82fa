#include "daemon/web/sessions.hpp"

#include <algorithm>
#include <utility>

#include "daemon/support/crypto.hpp"

namespace juanie::daemon::web {
namespace {

std::string digest_of(std::string_view id) {
  return hex_encode(sha256(id));
}

}  // namespace

OpenedSession Sessions::open(std::string token_name, std::string person, TimePoint now) {
  OpenedSession opened{random_hex(random_, 32), Session{std::move(token_name), std::move(person),
                                                        random_hex(random_, 32), now + ttl_}};
  std::lock_guard lock(mutex_);
  std::erase_if(by_digest_, [now](const auto& entry) { return entry.second.expires <= now; });
  while (!by_digest_.empty() && by_digest_.size() >= max_) {
    by_digest_.erase(std::min_element(
        by_digest_.begin(), by_digest_.end(),
        [](const auto& a, const auto& b) { return a.second.expires < b.second.expires; }));
  }
  by_digest_.emplace(digest_of(opened.id), opened.session);
  return opened;
}

std::optional<Session> Sessions::find(std::string_view id, TimePoint now) {
  if (id.empty()) return std::nullopt;
  const std::string key = digest_of(id);
  std::lock_guard lock(mutex_);
  auto it = by_digest_.find(key);
  if (it == by_digest_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    by_digest_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void Sessions::close(std::string_view id) {
  const std::string key = digest_of(id);
  std::lock_guard lock(mutex_);
  by_digest_.erase(key);
}

std::size_t Sessions::size() const {
  std::lock_guard lock(mutex_);
  return by_digest_.size();
}

}  // namespace juanie::daemon::web
