#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace juanie::pipelines {

// What an image reference may name. A step's image may carry a tag and a digest; the
// project's image is the repository Juanie pushes to and adds the tag itself.
enum class ImageReferenceKind { kWithTagOrDigest, kRepositoryOnly };

// Checks `reference` against the OCI distribution reference grammar:
// [host[:port]/]path-component(/path-component)*[:tag][@algorithm:hex], path components
// lowercase. Whatever passes can never be read as an option by an engine (it cannot start
// with '-'). nullopt when valid, else why not, as a phrase for "image: ...".
std::optional<std::string> image_reference_problem(
    std::string_view reference, ImageReferenceKind kind = ImageReferenceKind::kWithTagOrDigest);

}  // namespace juanie::pipelines
