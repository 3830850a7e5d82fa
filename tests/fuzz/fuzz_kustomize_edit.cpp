// A GitOps repository's kustomization.yaml (anyone with push access writes it) edited in
// place: no crash, and an edit the function reports as made reads back as YAML with the new
// value on the entry; an untouched file comes back byte for byte.
#include <yaml-cpp/yaml.h>

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
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(edited->text);
  } catch (const YAML::Exception&) {
    std::abort();  // the edit broke the file
  }
  bool found = false;
  for (const auto& doc : docs) {
    if (!doc.IsMap() || !doc["images"] || !doc["images"].IsSequence()) continue;
    for (const auto& item : doc["images"]) {
      if (item.IsMap() && item["name"] && item["name"].IsScalar() &&
          item["name"].Scalar() == change.name && item["newTag"] && item["newTag"].IsScalar() &&
          item["newTag"].Scalar() == change.value) {
        found = true;
      }
    }
  }
  if (!found) std::abort();
  return 0;
}
