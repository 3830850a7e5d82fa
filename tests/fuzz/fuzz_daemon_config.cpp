#include <cstdint>
#include <string>

#include "daemon/config/daemon_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)juanie::daemon::config::parse_daemon_config(text, "/etc/juanie/juanie.yaml",
                                                    std::string("/run/credentials/juanie"));
  return 0;
}
