#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace juanie::daemon::web {

// Bounds the page's open event streams: each holds a connection and polls the store, so a
// person (or a script in a signed-in browser) opening streams without end would cost the
// daemon without end. A slot is held while its stream lives and freed when it is destroyed
// (the run ended, the browser went away, the daemon drains). Thread-safe; a slot may outlive
// this object. The per-viewer cap is keyed by the session's api token, not by the session:
// signing in again is free, so a per-session cap would let one token holder take every slot.
class StreamSlots {
 public:
  static constexpr std::size_t kPerViewer = 8;
  static constexpr std::size_t kTotal = 64;

  explicit StreamSlots(std::size_t per_viewer = kPerViewer, std::size_t total = kTotal);

  class Slot {
   public:
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot(Slot&&) noexcept = default;
    Slot& operator=(Slot&&) noexcept = default;
    ~Slot();

   private:
    friend class StreamSlots;
    struct State;
    Slot(std::shared_ptr<State> state, std::string key)
        : state_(std::move(state)), key_(std::move(key)) {}
    std::shared_ptr<State> state_;
    std::string key_;
  };

  // A slot for one more stream of viewer `key`; nullopt when that viewer or the daemon
  // already holds as many as allowed.
  std::optional<Slot> acquire(std::string_view key);
  std::size_t open() const;

 private:
  std::shared_ptr<Slot::State> state_;
};

}  // namespace juanie::daemon::web
