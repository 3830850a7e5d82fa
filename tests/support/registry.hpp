#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "support/background_process.hpp"

namespace juanie::test {

// Debian's docker-registry (the CNCF distribution registry) on 127.0.0.1, plain http, storing
// under `dir`; stopped with the object.
class Registry {
 public:
  // With `user` and `password`, every request needs them (htpasswd, bcrypt).
  explicit Registry(const std::filesystem::path& dir, const std::string& user = "",
                    const std::string& password = "");
  std::string host() const;  // 127.0.0.1:PORT
  // The tags of `repository` as the registry's HTTP API lists them (its JSON body).
  std::string tags(const std::string& repository) const;

 private:
  std::unique_ptr<BackgroundProcess> process_;
  int port_ = 0;
};

}  // namespace juanie::test
