#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "runner/random_source.hpp"

namespace juanie::test {

// A random source whose draws the test knows: fill() writes 0, 1, 2, … (on from where the last
// call stopped), up_to() answers the number it was told (capped at the bound asked) and records
// every bound it was asked for, so a test sees the backoff a writer wanted to jitter.
class ScriptedRandom final : public runner::RandomSource {
 public:
  void answer(std::uint64_t value) {
    std::lock_guard lock(mutex_);
    answer_ = value;
  }
  std::vector<std::uint64_t> asked() const {
    std::lock_guard lock(mutex_);
    return asked_;
  }

  void fill(std::span<std::uint8_t> bytes) const override {
    std::lock_guard lock(mutex_);
    for (auto& b : bytes) b = next_byte_++;
  }
  std::uint64_t up_to(std::uint64_t most) const override {
    std::lock_guard lock(mutex_);
    asked_.push_back(most);
    return answer_ < most ? answer_ : most;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::uint8_t next_byte_ = 0;
  mutable std::uint64_t answer_ = 0;
  mutable std::vector<std::uint64_t> asked_;
};

}  // namespace juanie::test
