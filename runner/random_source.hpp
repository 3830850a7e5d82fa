#pragma once

#include <cstdint>
#include <span>

namespace juanie::runner {

// Where randomness comes from: OpenSSL's generator in the daemon (daemon/support/crypto.hpp),
// the system's in the runner's own default, a scripted fake in tests that must know the draw.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `bytes` with random bytes, or throws when the generator fails.
  virtual void fill(std::span<std::uint8_t> bytes) const = 0;
  // A number from 0 to `most`, both included.
  virtual std::uint64_t up_to(std::uint64_t most) const = 0;
};

// std::random_device: what the runner used before it had a seam (backoff jitter).
class SystemRandom final : public RandomSource {
 public:
  void fill(std::span<std::uint8_t> bytes) const override;
  std::uint64_t up_to(std::uint64_t most) const override;
};

}  // namespace juanie::runner
