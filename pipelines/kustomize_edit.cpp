#include "pipelines/kustomize_edit.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

#include "pipelines/ascii.hpp"

namespace juanie::pipelines {
namespace {

// Where a scalar that starts at `start` ends: past its closing quote, or for a plain scalar
// before a comment, a flow indicator (in flow context) or the line end, trailing blanks trimmed.
std::size_t scalar_end(std::string_view text, std::size_t start, bool flow) {
  if (start >= text.size()) return start;
  const char q = text[start];
  if (q == '"' || q == '\'') {
    for (std::size_t i = start + 1; i < text.size(); ++i) {
      if (q == '"' && text[i] == '\\') {
        ++i;
      } else if (text[i] == q) {
        if (q == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
          ++i;
        } else {
          return i + 1;
        }
      }
    }
    return text.size();
  }
  std::size_t i = start;
  while (i < text.size() && text[i] != '\n' && text[i] != '\r') {
    if (text[i] == '#' && i > start && (text[i - 1] == ' ' || text[i - 1] == '\t')) break;
    if (flow && (text[i] == ',' || text[i] == '}' || text[i] == ']')) break;
    ++i;
  }
  while (i > start && (text[i - 1] == ' ' || text[i - 1] == '\t')) --i;
  return i;
}

// YAML would read these plain values as something other than a string (1.1 and 1.2 rules).
bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  const std::string lower = ascii_lower(std::string(v));
  for (const char* word : {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"}) {
    if (lower == word) return true;
  }
  const bool numeric = std::all_of(v.begin(), v.end(), [](unsigned char c) {
    return std::isdigit(c) || c == '.' || c == '_' || c == 'e' || c == 'E' || c == '+' ||
           c == '-' || c == 'x' || c == 'o';
  });
  const bool number_start = std::isdigit(static_cast<unsigned char>(v[0])) || v[0] == '.' ||
                            ((v[0] == '-' || v[0] == '+') && v.size() > 1);
  if (numeric && number_start) return true;
  if (!std::all_of(v.begin(), v.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '_' || c == '-' || c == ':' || c == '/' ||
               c == '@' || c == '+';
      })) {
    return true;
  }
  return v.front() == '-' || v.front() == ':' || v.back() == ':';
}

std::string quoted(std::string_view v, char style) {
  std::string out(1, style);
  for (char c : v) {
    if (style == '\'' && c == '\'')
      out += "''";
    else if (style == '"' && (c == '"' || c == '\\'))
      out += std::string("\\") + c;
    else
      out += c;
  }
  return out + style;
}

// The value written in the style of `old` (its quote character, or plain when that is safe).
std::string styled(std::string_view value, std::string_view old) {
  if (!old.empty() && (old.front() == '"' || old.front() == '\''))
    return quoted(value, old.front());
  return needs_quotes(value) ? quoted(value, '"') : std::string(value);
}

std::string newline_of(std::string_view text) {
  const auto lf = text.find('\n');
  return lf != std::string_view::npos && lf > 0 && text[lf - 1] == '\r' ? "\r\n" : "\n";
}

std::size_t line_start(std::string_view text, std::size_t pos) {
  const auto nl = text.rfind('\n', pos == 0 ? 0 : pos - 1);
  return pos == 0 || nl == std::string_view::npos ? 0 : nl + 1;
}

std::size_t line_end(std::string_view text, std::size_t pos) {
  const auto nl = text.find('\n', pos);
  return nl == std::string_view::npos ? text.size() : nl + 1;
}

std::size_t indent_of(std::string_view text, std::size_t start) {
  std::size_t i = start;
  while (i < text.size() && text[i] == ' ') ++i;
  return i - start;
}

bool blank_or_comment(std::string_view line) {
  for (char c : line) {
    if (c == '#') return true;
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

// The end (exclusive) of the last line belonging to a block starting at the line of `start`
// whose continuation lines are indented deeper than `column` (or are further `- ` items at
// `column` when `items`).
std::size_t block_end(std::string_view text, std::size_t start, std::size_t column, bool items) {
  std::size_t end = line_end(text, start);
  std::size_t pos = end;
  while (pos < text.size()) {
    const std::size_t next = line_end(text, pos);
    const std::string_view line = text.substr(pos, next - pos);
    if (line.starts_with("---") || line.starts_with("...")) break;
    if (!blank_or_comment(line)) {
      const std::size_t ind = indent_of(text, pos);
      const bool deeper = ind > column;
      const bool item = items && ind == column && line.substr(ind).starts_with("-");
      if (!deeper && !item) break;
      end = next;
    }
    pos = next;
  }
  return end;
}

// The position of the bracket closing the flow collection that opens at `open`.
std::optional<std::size_t> closing_bracket(std::string_view text, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"' || c == '\'') {
      i = scalar_end(text, i, true) - 1;
    } else if (c == '#' && i > 0 && (text[i - 1] == ' ' || text[i - 1] == '\t')) {
      i = line_end(text, i) - 1;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      if (--depth == 0) return i;
    }
  }
  return std::nullopt;
}

std::string replaced(std::string_view text, std::size_t from, std::size_t to,
                     std::string_view with) {
  std::string out;
  out.reserve(text.size() + with.size());
  out.append(text.substr(0, from)).append(with).append(text.substr(to));
  return out;
}

bool same(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type()) return false;
  switch (a.Type()) {
    case YAML::NodeType::Scalar:
      return a.Scalar() == b.Scalar();  // quoting aside: the bytes around are unchanged
    case YAML::NodeType::Sequence: {
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!same(a[i], b[i])) return false;
      }
      return true;
    }
    case YAML::NodeType::Map: {
      if (a.size() != b.size()) return false;
      auto bi = b.begin();
      for (auto ai = a.begin(); ai != a.end(); ++ai, ++bi) {
        if (!same(ai->first, bi->first) || !same(ai->second, bi->second)) return false;
      }
      return true;
    }
    default:
      return true;
  }
}

// The document as it must read after the change.
YAML::Node expected_after(const YAML::Node& doc, const ImageChange& change) {
  YAML::Node out = YAML::Clone(doc);
  YAML::Node images = out["images"];
  if (!images || images.IsNull()) {
    YAML::Node list(YAML::NodeType::Sequence);
    out["images"] = list;
    images = out["images"];
  }
  for (auto item : images) {
    if (item.IsMap() && item["name"] && item["name"].IsScalar() &&
        item["name"].Scalar() == change.name) {
      bool present = false;
      for (auto kv : item) {
        if (kv.first.Scalar() == change.field) {
          kv.second = change.value;
          present = true;
        }
      }
      if (!present) {
        // Added beside `name`: after it in block style, last in flow style; compare as a set.
        item[change.field] = change.value;
      }
      return out;
    }
  }
  YAML::Node entry(YAML::NodeType::Map);
  entry["name"] = change.name;
  entry[change.field] = change.value;
  images.push_back(entry);
  return out;
}

// Maps compared without regard to key order (an added key's place depends on the style).
bool same_unordered(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type()) return false;
  if (a.IsMap()) {
    if (a.size() != b.size()) return false;
    for (auto kv : a) {
      if (!kv.first.IsScalar()) return same(a, b);
      const YAML::Node other = b[kv.first.Scalar()];
      if (!other || !same_unordered(kv.second, other)) return false;
    }
    return true;
  }
  if (a.IsSequence()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!same_unordered(a[i], b[i])) return false;
    }
    return true;
  }
  return same(a, b);
}

// The file's documents, split at lines starting with `---`: each is read on its own with
// YAML::Load (yaml-cpp 0.7's LoadAll loops forever on some inputs, found by the fuzzer).
struct Part {
  std::size_t offset = 0;
  std::size_t size = 0;
};

std::vector<Part> split_documents(std::string_view text) {
  std::vector<Part> parts;
  std::size_t start = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t next = line_end(text, pos);
    const std::string_view line = text.substr(pos, next - pos);
    const bool marker =
        line.starts_with("---") && (line.size() == 3 || line[3] == ' ' || line[3] == '\t' ||
                                    line[3] == '\n' || line[3] == '\r');
    if (pos != 0 && marker) {
      parts.push_back({start, pos - start});
      start = pos;
    }
    pos = next;
  }
  parts.push_back({start, text.size() - start});
  return parts;
}

// The change made to one document (`text`, read as `doc`); `nl` the file's line end.
Result<EditedFile> edit_in_place(std::string_view text, const YAML::Node& doc_node,
                                 const ImageChange& change, const std::string& nl);

}  // namespace

Result<EditedFile> set_image(std::string_view text, const ImageChange& change) {
  const auto parts = split_documents(text);
  std::vector<YAML::Node> docs;
  std::size_t lines_before = 0;
  for (const auto& part : parts) {
    const std::string_view body = text.substr(part.offset, part.size);
    try {
      docs.push_back(YAML::Load(std::string(body)));
    } catch (const YAML::Exception& e) {
      return fail("kustomization.yaml:" + std::to_string(lines_before + e.mark.line + 1) + ":" +
                  std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    lines_before += static_cast<std::size_t>(std::count(body.begin(), body.end(), '\n'));
  }
  // The Kustomization document, or else the first mapping.
  std::optional<std::size_t> target;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    const auto& d = docs[i];
    if (d.IsMap() && d["kind"] && d["kind"].IsScalar() && d["kind"].Scalar() == "Kustomization") {
      target = i;
      break;
    }
    if (!target && d.IsMap()) target = i;
  }
  if (!target) return fail("kustomization.yaml: no mapping document to edit");
  const Part part = parts[*target];
  const std::string_view body = text.substr(part.offset, part.size);
  auto edited = edit_in_place(body, docs[*target], change, newline_of(text));
  if (!edited) return edited;
  if (!edited->changed) return EditedFile{std::string(text), false};
  // Read the document back: as it was, but for the one value. A layout this editor does not
  // understand is refused here rather than committed broken.
  bool ok = false;
  try {
    ok = same_unordered(expected_after(docs[*target], change), YAML::Load(edited->text)) &&
         (part.offset + part.size == text.size() || edited->text.ends_with('\n'));
  } catch (const YAML::Exception&) {
  }
  if (!ok) {
    return fail("kustomization.yaml: the file's layout cannot be edited in place safely; set " +
                change.field + " of " + change.name + " by hand once");
  }
  return EditedFile{replaced(text, part.offset, part.offset + part.size, edited->text), true};
}

namespace {

Result<EditedFile> edit_in_place(std::string_view text, const YAML::Node& doc_node,
                                 const ImageChange& change, const std::string& nl) {
  const YAML::Node* doc = &doc_node;
  const std::string value_new = styled(change.value, "");

  YAML::Node images = (*doc)["images"];
  if (!images || images.IsNull()) {
    // No list yet: append one at the end of the document.
    const std::size_t end = text.size();
    std::string block;
    if (end > 0 && text[end - 1] != '\n') block += nl;
    if (images && images.IsNull()) {
      // `images:` with nothing after it: fill it in place.
      std::size_t key_pos = 0;
      for (const auto& kv : *doc) {
        if (kv.first.IsScalar() && kv.first.Scalar() == "images") {
          key_pos = static_cast<std::size_t>(kv.first.Mark().pos);
        }
      }
      const std::size_t after = line_end(text, key_pos);
      std::string item =
          "- name: " + styled(change.name, "") + nl + "  " + change.field + ": " + value_new + nl;
      return EditedFile{replaced(text, after, after, item), true};
    }
    block += "images:" + nl + "- name: " + styled(change.name, "") + nl + "  " + change.field +
             ": " + value_new + nl;
    return EditedFile{replaced(text, end, end, block), true};
  }
  if (!images.IsSequence()) return fail("kustomization.yaml: images: must be a list");
  const auto seq_pos = static_cast<std::size_t>(images.Mark().pos);
  const bool seq_flow = seq_pos < text.size() && text[seq_pos] == '[';

  for (const auto& item : images) {
    if (!item.IsMap() || !item["name"] || !item["name"].IsScalar() ||
        item["name"].Scalar() != change.name) {
      continue;
    }
    const auto item_pos = static_cast<std::size_t>(item.Mark().pos);
    const bool item_flow = seq_flow || (item_pos < text.size() && text[item_pos] == '{');
    if (YAML::Node field = item[change.field]; field && !field.IsNull()) {
      if (!field.IsScalar()) {
        return fail("kustomization.yaml: images[]." + change.field + ": must be a string");
      }
      if (field.Scalar() == change.value) return EditedFile{std::string(text), false};
      const auto from = static_cast<std::size_t>(field.Mark().pos);
      const auto to = scalar_end(text, from, item_flow);
      const std::string old(text.substr(from, to - from));
      return EditedFile{replaced(text, from, to, styled(change.value, old)), true};
    }
    // The entry has no such field (or an empty one): add it.
    if (item_flow) {
      const auto close = closing_bracket(text, item_pos);
      if (!close) return fail("kustomization.yaml: unterminated flow mapping in images");
      return EditedFile{replaced(text, *close, *close, ", " + change.field + ": " + value_new),
                        true};
    }
    YAML::Node field = item[change.field];
    if (field && field.IsNull()) {
      // `newTag:` with no value: put it after the key.
      for (const auto& kv : item) {
        if (kv.first.Scalar() != change.field) continue;
        const auto key_pos = static_cast<std::size_t>(kv.first.Mark().pos);
        const auto colon = text.find(':', key_pos);
        std::size_t stop = colon + 1;
        return EditedFile{replaced(text, stop, stop, " " + value_new), true};
      }
    }
    // Beside `name`, at the same indentation, on the line after the name's value.
    std::size_t key_pos = 0;
    for (const auto& kv : item) {
      if (kv.first.Scalar() == "name") key_pos = static_cast<std::size_t>(kv.first.Mark().pos);
    }
    const std::size_t column = key_pos - line_start(text, key_pos);
    const std::size_t after = line_end(text, static_cast<std::size_t>(item["name"].Mark().pos));
    std::string line = std::string(column, ' ') + change.field + ": " + value_new + nl;
    if (after == text.size() && !text.empty() && text.back() != '\n') line = nl + line;
    return EditedFile{replaced(text, after, after, line), true};
  }

  // No entry for this image: add one to the list, in its style.
  const std::string name = styled(change.name, "");
  if (seq_flow) {
    const auto close = closing_bracket(text, seq_pos);
    if (!close) return fail("kustomization.yaml: unterminated flow sequence images");
    const std::string sep = images.size() > 0 ? ", " : "";
    return EditedFile{
        replaced(text, *close, *close,
                 sep + "{name: " + name + ", " + change.field + ": " + value_new + "}"),
        true};
  }
  const std::size_t dash_line = line_start(text, seq_pos);
  const std::size_t dash_column = seq_pos - dash_line;
  const std::size_t end = block_end(text, seq_pos, dash_column, true);
  const std::string pad(dash_column, ' ');
  std::string item =
      pad + "- name: " + name + nl + pad + "  " + change.field + ": " + value_new + nl;
  if (end == text.size() && !text.empty() && text.back() != '\n') item = nl + item;
  return EditedFile{replaced(text, end, end, item), true};
}

}  // namespace
}  // namespace juanie::pipelines
