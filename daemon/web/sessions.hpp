#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/web/stream_slots.hpp"
#include "runner/random_source.hpp"

namespace juanie::daemon::web {

// A person signed in to the status page with one of `api_tokens`.
struct Session {
  std::string token_name;
  std::string person;  // the token's person ("" when it names none)
  std::string csrf;    // every state-changing form of this session carries it
  std::chrono::system_clock::time_point expires;
};

struct OpenedSession {
  std::string id;  // the cookie's value: known to the browser alone
  Session session;
};

// The signed-in sessions, in memory: a restart signs everybody out (they sign in again with
// their token). Only the SHA-256 of an id is kept, so a lookup's timing says nothing of the
// ids, and a memory dump holds no usable cookie. Expiry is absolute (`ttl` from sign-in);
// past `max_sessions` the one nearest to expiry goes. Thread-safe.
class Sessions {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  Sessions(const runner::RandomSource& random, std::chrono::seconds ttl,
           std::size_t max_sessions = 10000)
      : random_(random), ttl_(ttl), max_(max_sessions) {}

  OpenedSession open(std::string token_name, std::string person, TimePoint now);
  // The live session `id` names; nullopt for an unknown, closed or expired one.
  std::optional<Session> find(std::string_view id, TimePoint now);
  void close(std::string_view id);
  std::size_t size() const;
  std::chrono::seconds ttl() const { return ttl_; }
  // The live event streams of the sessions' pages (run_events.hpp).
  StreamSlots& streams() { return streams_; }

 private:
  const runner::RandomSource& random_;
  std::chrono::seconds ttl_;
  std::size_t max_;
  mutable std::mutex mutex_;
  std::map<std::string, Session> by_digest_;
  StreamSlots streams_;
};

}  // namespace juanie::daemon::web
