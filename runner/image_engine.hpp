#pragma once

#include <functional>
#include <string_view>

#include "pipelines/error.hpp"
#include "runner/image_build.hpp"

namespace juanie::runner {

// The container engine that builds a run's image and pushes it: podman in the daemon, a
// recording fake in component tests that starts no engine and reaches no registry.
class ImageEngine {
 public:
  virtual ~ImageEngine() = default;
  // As build_and_push: the pushed image, or why not.
  virtual Result<PushedImage> build_and_push(
      const ImageBuildRequest& request,
      const std::function<void(std::string_view)>& output) const = 0;
};

class PodmanEngine final : public ImageEngine {
 public:
  Result<PushedImage> build_and_push(
      const ImageBuildRequest& request,
      const std::function<void(std::string_view)>& output) const override {
    return runner::build_and_push(request, output);
  }
};

}  // namespace juanie::runner
