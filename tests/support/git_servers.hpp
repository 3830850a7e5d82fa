#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "support/background_process.hpp"

namespace juanie::test {

// Private git hosting on 127.0.0.1 for tests, serving the bare repositories under a root.

// git's smart HTTP (`git http-backend`) behind basic authentication with `user`:`token`.
class GitHttpServer {
 public:
  GitHttpServer(const std::filesystem::path& root, const std::string& user,
                const std::string& token);
  // http://127.0.0.1:PORT/<name>
  std::string url(const std::string& name) const;

 private:
  std::unique_ptr<BackgroundProcess> process_;
  int port_ = 0;
};

// OpenSSH's sshd accepting one client key for the current user; its host key is made fresh.
class GitSshServer {
 public:
  explicit GitSshServer(const std::filesystem::path& dir);
  // ssh://<user>@127.0.0.1:PORT<absolute path>
  std::string url(const std::filesystem::path& repository) const;
  const std::string& client_key() const { return client_key_; }    // private key text
  const std::string& known_hosts() const { return known_hosts_; }  // a line for this server
  std::string other_known_hosts() const;  // a line with another key for the same host

 private:
  std::filesystem::path dir_;
  std::unique_ptr<BackgroundProcess> process_;
  int port_ = 0;
  std::string client_key_, known_hosts_;
};

}  // namespace juanie::test
