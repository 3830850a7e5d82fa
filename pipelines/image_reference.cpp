#include "pipelines/image_reference.hpp"

#include <algorithm>
#include <vector>

#include "pipelines/split.hpp"

namespace juanie::pipelines {
namespace {

bool lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool digit(char c) {
  return c >= '0' && c <= '9';
}
bool alnum(char c) {
  return alpha(c) || digit(c);
}
bool hex(char c) {
  return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool word(char c) {
  return alnum(c) || c == '_';
}

// alpha-numeric (separator alpha-numeric)*, separator := [_.] | __ | [-]+
bool path_component(std::string_view c) {
  if (c.empty() || !lower_alnum(c.front()) || !lower_alnum(c.back())) return false;
  for (std::size_t i = 0; i < c.size();) {
    if (lower_alnum(c[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < c.size() && !lower_alnum(c[j])) ++j;
    const std::string_view separator = c.substr(i, j - i);
    const bool dashes =
        std::all_of(separator.begin(), separator.end(), [](char s) { return s == '-'; });
    if (!(separator == "." || separator == "_" || separator == "__" || dashes)) return false;
    i = j;
  }
  return true;
}

// [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool domain_component(std::string_view c) {
  if (c.empty() || !alnum(c.front()) || !alnum(c.back())) return false;
  return std::all_of(c.begin(), c.end(), [](char x) { return alnum(x) || x == '-'; });
}

bool host_and_port(std::string_view domain) {
  std::string_view host = domain;
  if (const auto colon = domain.rfind(':'); colon != std::string_view::npos) {
    const std::string_view port = domain.substr(colon + 1);
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), digit)) {
      return false;
    }
    host = domain.substr(0, colon);
  }
  const auto parts = split(host, '.');
  return std::all_of(parts.begin(), parts.end(), domain_component);
}

// [\w][\w.-]{0,127}
bool tag(std::string_view t) {
  if (t.empty() || t.size() > 128 || !word(t.front())) return false;
  return std::all_of(t.begin(), t.end(), [](char c) { return word(c) || c == '.' || c == '-'; });
}

// algorithm-component ([+._-] algorithm-component)* ":" hex{32,}
bool digest(std::string_view d) {
  const auto colon = d.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view algorithm = d.substr(0, colon), value = d.substr(colon + 1);
  if (value.size() < 32 || !std::all_of(value.begin(), value.end(), hex)) return false;
  std::size_t i = 0;
  while (i < algorithm.size()) {
    if (!alpha(algorithm[i])) return false;
    while (i < algorithm.size() && alnum(algorithm[i])) ++i;
    if (i == algorithm.size()) return true;
    const char s = algorithm[i++];
    if (s != '+' && s != '.' && s != '_' && s != '-') return false;
    if (i == algorithm.size()) return false;
  }
  return false;
}

}  // namespace

std::optional<std::string> image_reference_problem(std::string_view reference,
                                                   ImageReferenceKind kind) {
  if (reference.empty()) return "is empty";
  if (reference.front() == '-') return "must not start with '-'";
  std::string_view name = reference;
  if (const auto at = name.find('@'); at != std::string_view::npos) {
    if (kind == ImageReferenceKind::kRepositoryOnly) {
      return "must be a repository without a digest (Juanie adds the tag)";
    }
    if (!digest(name.substr(at + 1))) return "has an invalid digest (algorithm:hex)";
    name = name.substr(0, at);
  }
  // A ':' after the last '/' starts the tag; before it, it is the registry's port.
  const auto slash = name.rfind('/');
  if (const auto colon = name.rfind(':');
      colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    if (kind == ImageReferenceKind::kRepositoryOnly) {
      return "must be a repository without a tag (Juanie adds the tag)";
    }
    if (!tag(name.substr(colon + 1))) {
      return "has an invalid tag (letters, digits, '_', '.' or '-', at most 128)";
    }
    name = name.substr(0, colon);
  }
  if (name.size() > 255) return "has a name longer than 255 characters";
  auto components = split(name, '/');
  // As the engines read it: the first component is a registry when it has a '.' or a ':'
  // or is localhost; otherwise the name is on the default registry.
  const std::string_view first = components.front();
  if (components.size() > 1 &&
      (first.find_first_of(".:") != std::string_view::npos || first == "localhost")) {
    if (!host_and_port(first)) return "has an invalid registry host \"" + std::string(first) + "\"";
    components.erase(components.begin());
  }
  for (const auto c : components) {
    if (!path_component(c)) {
      return "has an invalid name component \"" + std::string(c) +
             "\" (lowercase letters and digits, separated by '.', '_', '__' or '-')";
    }
  }
  return std::nullopt;
}

}  // namespace juanie::pipelines
