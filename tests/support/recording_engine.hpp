#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "runner/image_engine.hpp"

namespace juanie::test {

// The container engine in component tests: builds nothing and reaches no registry. Records each
// request and answers with the digest it was given, or with the failure it was told to report
// (a registry refusing the push); `during` (if set) runs inside the build.
class RecordingEngine final : public runner::ImageEngine {
 public:
  void digest(std::string value) {
    std::lock_guard lock(mutex_);
    digest_ = std::move(value);
  }
  void fail_with(std::string error) {
    std::lock_guard lock(mutex_);
    error_ = std::move(error);
  }
  void during(std::function<void()> hook) {
    std::lock_guard lock(mutex_);
    during_ = std::move(hook);
  }
  std::vector<runner::ImageBuildRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  Result<runner::PushedImage> build_and_push(
      const runner::ImageBuildRequest& request,
      const std::function<void(std::string_view)>& output) const override {
    std::function<void()> hook;
    std::string error, digest;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
      hook = during_;
      error = error_;
      digest = digest_;
    }
    output("STEP 1/1: FROM scratch (recorded, not built)\n");
    if (hook) hook();
    if (!error.empty()) return fail(error);
    return runner::PushedImage{request.reference, digest};
  }

 private:
  mutable std::mutex mutex_;
  mutable std::string digest_ = "sha256:" + std::string(64, 'd');
  mutable std::string error_;
  mutable std::function<void()> during_;
  mutable std::vector<runner::ImageBuildRequest> requests_;
};

}  // namespace juanie::test
