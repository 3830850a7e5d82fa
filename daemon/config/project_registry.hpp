#pragma once

#include <atomic>
#include <memory>

#include "daemon/config/loader.hpp"

namespace juanie::daemon {

// The projects in force. A reload swaps the whole map at once; a request that already holds
// the old map finishes with it.
class ProjectRegistry {
 public:
  explicit ProjectRegistry(config::ProjectMap projects)
      : projects_(std::make_shared<const config::ProjectMap>(std::move(projects))) {}

  std::shared_ptr<const config::ProjectMap> get() const { return projects_.load(); }
  void replace(config::ProjectMap projects) {
    projects_.store(std::make_shared<const config::ProjectMap>(std::move(projects)));
  }

 private:
  std::atomic<std::shared_ptr<const config::ProjectMap>> projects_;
};

}  // namespace juanie::daemon
