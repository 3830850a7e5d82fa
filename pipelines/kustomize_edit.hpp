#pragma once

#include <string>
#include <string_view>

#include "pipelines/error.hpp"

namespace juanie::pipelines {

// What to set on the `images:` entry named `name` of a kustomization.
struct ImageChange {
  std::string name;   // images[].name, e.g. registry.example.com/acme/shop-api
  std::string field;  // newTag | digest
  std::string value;  // the tag, or sha256:<hex>
};

struct EditedFile {
  std::string text;
  bool changed = false;  // false: the entry already had this value (nothing to commit)
};

// Sets `change` in a kustomization.yaml in place: only the bytes of the one value change —
// comments, quoting style, flow or block style, CRLF line ends, other documents and other
// images stay exactly as they were. An entry without the field gets it added beside its
// `name`; a file without the entry gets one appended to `images:` (or an `images:` list at
// the end). Pure. Errors: not YAML, no mapping document, `images` not a list.
Result<EditedFile> set_image(std::string_view kustomization, const ImageChange& change);

}  // namespace juanie::pipelines
