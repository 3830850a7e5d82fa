#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace juanie::daemon {

// At most `max` bytes of the file at `path` from `offset` (fewer at its end; "" past it, or
// when the file cannot be read: not written yet, or removed).
inline std::string read_file_range(const std::filesystem::path& path, std::uint64_t offset,
                                   std::size_t max) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(offset));
  std::string bytes(max, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return bytes;
}

}  // namespace juanie::daemon
