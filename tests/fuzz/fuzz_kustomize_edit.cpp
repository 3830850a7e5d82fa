// A GitOps repository's kustomization.yaml (anyone with push access writes it) edited in
// place: no crash or hang, an untouched file comes back byte for byte, and an edit reads back
// (the same change applied again is a no-op).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "pipelines/kustomize_edit.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const juanie::pipelines::ImageChange change{"registry.example.com/acme/shop-api", "newTag",
                                              "9f8e7d6"};
  auto edited = juanie::pipelines::set_image(text, change);
  if (!edited) return 0;
  if (!edited->changed) {
    if (edited->text != text) std::abort();
    return 0;
  }
  // The edit reads back: the same change again finds the value there and changes nothing.
  auto again = juanie::pipelines::set_image(edited->text, change);
  if (!again || again->changed || again->text != edited->text) std::abort();
  return 0;
}
