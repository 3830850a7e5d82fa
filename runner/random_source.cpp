#include "runner/random_source.hpp"

#include <random>

namespace juanie::runner {

void SystemRandom::fill(std::span<std::uint8_t> bytes) const {
  std::random_device device;
  for (auto& b : bytes) b = static_cast<std::uint8_t>(device());
}

std::uint64_t SystemRandom::up_to(std::uint64_t most) const {
  std::random_device device;
  std::uniform_int_distribution<std::uint64_t> pick(0, most);
  return pick(device);
}

}  // namespace juanie::runner
