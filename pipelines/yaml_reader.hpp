#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/error.hpp"

// Reading YAML config files with errors a person can act on: every message is
// `file:line: field: message`, and keys the reader was not asked about are errors (a typo
// must not silently fall back to a default).
namespace juanie::pipelines {

// Thrown inside a parse and turned into an Error at its entry point; never escapes it.
class FieldError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `file:line: field: ` (with `:col` after the line when `column` is set).
std::string location(std::string_view file, const YAML::Mark& mark, std::string_view field,
                     bool column = false);

// Parses `text`; a syntax error becomes `file:line:col: message`.
Result<YAML::Node> parse_yaml(std::string_view text, std::string_view file);

// Parses `text` and hands the document to `read` (which throws FieldError on bad input);
// every failure comes back as an Error, none as an exception.
template <typename Read>
auto read_document(std::string_view text, std::string_view file, Read&& read)
    -> Result<decltype(read(std::declval<const YAML::Node&>()))> {
  auto doc = parse_yaml(text, file);
  if (!doc) return std::unexpected(doc.error());
  try {
    return read(*doc);
  } catch (const FieldError& e) {
    return fail(e.what());
  } catch (const YAML::Exception& e) {
    return fail(std::string(file) + ":" + std::to_string(e.mark.line + 1) + ":" +
                std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

class MapReader {
 public:
  // `node` must be a mapping (or null, read as empty); `prefix` is the dotted field path.
  // `columns`: messages name the column too (pipeline files, edited by hand line by line).
  MapReader(YAML::Node node, std::string file, std::string prefix, bool columns = false);
  // A reader for the mapping at `node`, a child of this one named `prefix`, with the same file
  // and column setting.
  MapReader nested(YAML::Node node, std::string prefix) const;

  bool has(std::string_view key) const;
  std::optional<YAML::Node> child(std::string_view key);
  YAML::Node required_child(std::string_view key);

  std::optional<std::string> optional_string(std::string_view key);
  std::string required_string(std::string_view key);
  std::optional<std::int64_t> optional_int(std::string_view key, std::int64_t min,
                                           std::int64_t max);
  std::optional<bool> optional_bool(std::string_view key);
  std::optional<std::vector<std::string>> optional_string_list(std::string_view key);
  std::optional<std::chrono::milliseconds> optional_duration(std::string_view key);
  std::optional<std::uint64_t> optional_size(std::string_view key);
  // A file name inside secrets_dir: no directories, no "." or "..".
  std::optional<std::string> optional_secret_file(std::string_view key);

  // Throws for the first key nobody asked about.
  void finish() const;

  std::string field(std::string_view key) const;
  [[noreturn]] void fail_at(const YAML::Node& node, std::string_view key,
                            std::string_view message) const;
  [[noreturn]] void fail_here(std::string_view message) const;
  const std::string& file() const { return file_; }
  const YAML::Node& node() const { return node_; }

 private:
  YAML::Node node_;
  std::string file_;
  std::string prefix_;
  bool columns_ = false;
  std::set<std::string, std::less<>> seen_;
};

bool is_safe_file_name(std::string_view name);

}  // namespace juanie::pipelines
