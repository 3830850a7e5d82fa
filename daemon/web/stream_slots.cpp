#include "daemon/web/stream_slots.hpp"

namespace juanie::daemon::web {

struct StreamSlots::Slot::State {
  std::mutex mutex;
  std::size_t per_viewer;
  std::size_t total;
  std::size_t open = 0;
  std::map<std::string, std::size_t, std::less<>> by_key;
};

StreamSlots::StreamSlots(std::size_t per_viewer, std::size_t total)
    : state_(std::make_shared<Slot::State>()) {
  state_->per_viewer = per_viewer;
  state_->total = total;
}

std::optional<StreamSlots::Slot> StreamSlots::acquire(std::string_view key) {
  std::lock_guard lock(state_->mutex);
  auto it = state_->by_key.find(key);
  const std::size_t held = it == state_->by_key.end() ? 0 : it->second;
  if (held >= state_->per_viewer || state_->open >= state_->total) return std::nullopt;
  ++state_->open;
  ++state_->by_key[std::string(key)];
  return Slot(state_, std::string(key));
}

std::size_t StreamSlots::open() const {
  std::lock_guard lock(state_->mutex);
  return state_->open;
}

StreamSlots::Slot::~Slot() {
  if (!state_) return;  // moved from
  std::lock_guard lock(state_->mutex);
  --state_->open;
  auto it = state_->by_key.find(key_);
  if (it != state_->by_key.end() && --it->second == 0) state_->by_key.erase(it);
}

}  // namespace juanie::daemon::web
