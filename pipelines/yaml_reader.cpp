#include "pipelines/yaml_reader.hpp"

#include "pipelines/units.hpp"

namespace juanie::pipelines {

std::string location(std::string_view file, const YAML::Mark& mark, std::string_view field,
                     bool column) {
  std::string out(file);
  if (mark.line >= 0) out += ":" + std::to_string(mark.line + 1);
  if (mark.line >= 0 && column) out += ":" + std::to_string(mark.column + 1);
  out += ": ";
  if (!field.empty()) {
    out += field;
    out += ": ";
  }
  return out;
}

Result<YAML::Node> parse_yaml(std::string_view text, std::string_view file) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return fail(std::string(file) + ":" + std::to_string(e.mark.line + 1) + ":" +
                std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

MapReader::MapReader(YAML::Node node, std::string file, std::string prefix, bool columns)
    : node_(std::move(node)),
      file_(std::move(file)),
      prefix_(std::move(prefix)),
      columns_(columns) {
  if (!node_.IsNull() && !node_.IsMap()) fail_here("must be a mapping");
}

MapReader MapReader::nested(YAML::Node node, std::string prefix) const {
  return MapReader(std::move(node), file_, std::move(prefix), columns_);
}

std::string MapReader::field(std::string_view key) const {
  if (prefix_.empty()) return std::string(key);
  return prefix_ + "." + std::string(key);
}

void MapReader::fail_at(const YAML::Node& node, std::string_view key,
                        std::string_view message) const {
  throw FieldError(location(file_, node.Mark(), field(key), columns_) + std::string(message));
}

void MapReader::fail_here(std::string_view message) const {
  throw FieldError(location(file_, node_.Mark(), prefix_, columns_) + std::string(message));
}

bool MapReader::has(std::string_view key) const {
  return node_.IsMap() && node_[std::string(key)].IsDefined();
}

std::optional<YAML::Node> MapReader::child(std::string_view key) {
  seen_.emplace(key);
  if (!node_.IsMap()) return std::nullopt;
  YAML::Node value = node_[std::string(key)];
  if (!value.IsDefined() || value.IsNull()) return std::nullopt;
  return value;
}

YAML::Node MapReader::required_child(std::string_view key) {
  auto value = child(key);
  if (!value) {
    throw FieldError(location(file_, node_.Mark(), field(key), columns_) + "is required");
  }
  return *value;
}

std::optional<std::string> MapReader::optional_string(std::string_view key) {
  auto value = child(key);
  if (!value) return std::nullopt;
  if (!value->IsScalar()) fail_at(*value, key, "must be a string");
  return value->Scalar();
}

std::string MapReader::required_string(std::string_view key) {
  YAML::Node value = required_child(key);
  if (!value.IsScalar() || value.Scalar().empty())
    fail_at(value, key, "must be a non-empty string");
  return value.Scalar();
}

std::optional<std::int64_t> MapReader::optional_int(std::string_view key, std::int64_t min,
                                                    std::int64_t max) {
  auto value = child(key);
  if (!value) return std::nullopt;
  std::int64_t number = 0;
  if (!value->IsScalar() || !YAML::convert<std::int64_t>::decode(*value, number)) {
    fail_at(*value, key, "must be a whole number");
  }
  if (number < min || number > max) {
    fail_at(*value, key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return number;
}

std::optional<bool> MapReader::optional_bool(std::string_view key) {
  auto value = child(key);
  if (!value) return std::nullopt;
  bool flag = false;
  if (!value->IsScalar() || !YAML::convert<bool>::decode(*value, flag)) {
    fail_at(*value, key, "must be true or false");
  }
  return flag;
}

std::optional<std::vector<std::string>> MapReader::optional_string_list(std::string_view key) {
  auto value = child(key);
  if (!value) return std::nullopt;
  if (!value->IsSequence()) fail_at(*value, key, "must be a list of strings");
  std::vector<std::string> out;
  for (const auto& item : *value) {
    if (!item.IsScalar() || item.Scalar().empty()) {
      fail_at(item, key, "must be a list of non-empty strings");
    }
    out.push_back(item.Scalar());
  }
  return out;
}

std::optional<std::chrono::milliseconds> MapReader::optional_duration(std::string_view key) {
  auto text = optional_string(key);
  if (!text) return std::nullopt;
  auto value = parse_duration(*text);
  if (!value) {
    fail_at(*child(key), key, "\"" + *text + "\" is not a duration (like 30s, 10m, 24h, 1h30m)");
  }
  return value;
}

std::optional<std::uint64_t> MapReader::optional_size(std::string_view key) {
  auto text = optional_string(key);
  if (!text) return std::nullopt;
  auto value = parse_size(*text);
  if (!value) {
    fail_at(*child(key), key, "\"" + *text + "\" is not a size (like 512KiB, 10MiB, 1GiB)");
  }
  return value;
}

bool is_safe_file_name(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.size() > 255) return false;
  for (char c : name) {
    if (c == '/' || c == '\0' || static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

std::optional<std::string> MapReader::optional_secret_file(std::string_view key) {
  auto name = optional_string(key);
  if (name && !is_safe_file_name(*name)) {
    fail_at(*child(key), key,
            "\"" + *name + "\" must be a file name inside secrets_dir, without directories");
  }
  return name;
}

void MapReader::finish() const {
  if (!node_.IsMap()) return;
  for (const auto& entry : node_) {
    const std::string key = entry.first.Scalar();
    if (!seen_.contains(key)) fail_at(entry.first, key, "unknown key");
  }
}

}  // namespace juanie::pipelines
