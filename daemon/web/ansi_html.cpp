#include "daemon/web/ansi_html.hpp"

#include <optional>
#include <vector>

#include "daemon/approvals/approval_page.hpp"

namespace juanie::daemon::web {
namespace {

constexpr char kEsc = '\x1b';
// An escape sequence still unfinished after this many bytes is not waited for any longer.
constexpr std::size_t kMaxHeld = 4096;

bool in(unsigned char c, unsigned char lo, unsigned char hi) {
  return c >= lo && c <= hi;
}

// The length a UTF-8 lead byte announces (1 for a byte that leads nothing).
std::size_t utf8_length(unsigned char lead) {
  if (in(lead, 0xC2, 0xDF)) return 2;
  if (in(lead, 0xE0, 0xEF)) return 3;
  if (in(lead, 0xF0, 0xF4)) return 4;
  return 1;
}

// The numbers of an SGR parameter string ("1;38;5;196"); nullopt for a private or broken one.
std::optional<std::vector<int>> sgr_numbers(std::string_view params) {
  std::vector<int> numbers;
  int value = 0, digits = 0;
  for (const char c : params) {
    if (c >= '0' && c <= '9') {
      if (++digits > 5) return std::nullopt;
      value = value * 10 + (c - '0');
    } else if (c == ';' || c == ':') {
      numbers.push_back(value);
      value = digits = 0;
    } else {
      return std::nullopt;
    }
  }
  numbers.push_back(value);
  return numbers;
}

}  // namespace

std::string AnsiHtml::open_tag(const Style& s) {
  std::string classes;
  auto add = [&](std::string_view name) {
    if (!classes.empty()) classes += ' ';
    classes += name;
  };
  if (s.bold) add("ansi-b");
  if (s.dim) add("ansi-d");
  if (s.italic) add("ansi-i");
  if (s.underline) add("ansi-u");
  if (s.fg >= 0) add("ansi-fg" + std::to_string(s.fg));
  if (s.bg >= 0) add("ansi-bg" + std::to_string(s.bg));
  return "<span class=\"" + classes + "\">";
}

void AnsiHtml::apply_sgr(std::string_view params) {
  const auto numbers = sgr_numbers(params);
  if (!numbers) return;
  const std::vector<int>& n = *numbers;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const int c = n[i];
    if (c == 0) {
      style_ = Style{};
    } else if (c == 1) {
      style_.bold = true;
    } else if (c == 2) {
      style_.dim = true;
    } else if (c == 3) {
      style_.italic = true;
    } else if (c == 4) {
      style_.underline = true;
    } else if (c == 22) {
      style_.bold = style_.dim = false;
    } else if (c == 23) {
      style_.italic = false;
    } else if (c == 24) {
      style_.underline = false;
    } else if (c >= 30 && c <= 37) {
      style_.fg = c - 30;
    } else if (c == 39) {
      style_.fg = -1;
    } else if (c >= 40 && c <= 47) {
      style_.bg = c - 40;
    } else if (c == 49) {
      style_.bg = -1;
    } else if (c >= 90 && c <= 97) {
      style_.fg = c - 90 + 8;
    } else if (c >= 100 && c <= 107) {
      style_.bg = c - 100 + 8;
    } else if (c == 38 || c == 48) {
      // 38;5;N (a palette index) or 38;2;R;G;B: only the palette's first 16 have a class.
      int colour = -1;
      if (i + 2 < n.size() && n[i + 1] == 5) {
        if (n[i + 2] < 16) colour = n[i + 2];
        i += 2;
      } else if (i + 4 < n.size() && n[i + 1] == 2) {
        i += 4;
      } else {
        i = n.size();
      }
      (c == 38 ? style_.fg : style_.bg) = colour;
    }
  }
}

std::size_t AnsiHtml::take_escape(std::string_view s, std::size_t at) {
  const std::size_t n = s.size();
  if (at + 1 >= n) return 0;
  const unsigned char kind = s[at + 1];
  if (kind == '[') {  // CSI: parameters, intermediates, one final byte
    std::size_t j = at + 2;
    while (j < n && in(s[j], 0x30, 0x3F)) ++j;
    const std::size_t params_end = j;
    while (j < n && in(s[j], 0x20, 0x2F)) ++j;
    if (j >= n) return 0;
    if (!in(s[j], 0x40, 0x7E)) return j - at;  // broken: drop what came so far
    if (s[j] == 'm' && params_end == j) apply_sgr(s.substr(at + 2, params_end - at - 2));
    return j - at + 1;
  }
  if (kind == ']' || kind == 'P' || kind == 'X' || kind == '^' || kind == '_') {
    // A string (OSC title or link, DCS…) up to BEL or ST (ESC \).
    for (std::size_t j = at + 2; j < n; ++j) {
      if (s[j] == '\x07') return j - at + 1;
      if (s[j] == kEsc) {
        if (j + 1 >= n) return 0;
        return s[j + 1] == '\\' ? j - at + 2 : j - at;
      }
    }
    return 0;
  }
  std::size_t j = at + 1;  // ESC, intermediates, a final byte (charset selections, ESC 7…)
  while (j < n && in(s[j], 0x20, 0x2F)) ++j;
  if (j >= n) return 0;
  return in(s[j], 0x30, 0x7E) ? j - at + 1 : j - at;
}

std::string AnsiHtml::feed(std::string_view bytes, std::size_t max_out) {
  std::string input = std::move(held_);
  held_.clear();
  input.append(bytes);
  const std::string_view s = input;
  const std::size_t n = s.size();
  std::string out;
  bool span_open = false;
  Style open;
  auto sync_style = [&] {
    if (span_open && open == style_) return;
    if (!span_open && style_ == Style{}) return;
    if (span_open) out += "</span>";
    span_open = !(style_ == Style{});
    if (span_open) out += open_tag(style_);
    open = style_;
  };
  std::size_t i = 0;
  while (i < n) {
    if (out.size() > max_out) {
      if (span_open) out += "</span>";
      span_open = false;
      out +=
          "\n<span class=\"ansi-cut\">[the rest of this part of the log is not shown: it "
          "renders to more than " +
          std::to_string(max_out) + " bytes]</span>\n";
      break;
    }
    const unsigned char c = s[i];
    if (c == kEsc) {
      const std::size_t used = take_escape(s, i);
      if (used > 0) {
        i += used;
      } else if (n - i > kMaxHeld) {
        i = n;  // an "escape sequence" that never ends: none of it is shown
      } else {
        held_.assign(s.substr(i));
        i = n;
      }
      continue;
    }
    if (c == '\n' || c == '\t') {
      sync_style();
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (c < 0x20 || c == 0x7F) {  // carriage returns, bells, backspaces…
      ++i;
      continue;
    }
    if (c < 0x80) {
      sync_style();
      approvals::append_html_escaped(out, static_cast<char>(c));
      ++i;
      continue;
    }
    const std::size_t length = utf8_length(c);
    if (i + length > n) {
      bool prefix = true;  // only continuation bytes follow: the rest is in the next piece
      for (std::size_t j = i + 1; j < n; ++j) prefix = prefix && in(s[j], 0x80, 0xBF);
      if (prefix) {
        held_.assign(s.substr(i));
        break;
      }
    }
    if (c == 0xC2 && i + 1 < n && in(s[i + 1], 0x80, 0x9F)) {  // a C1 control, such as CSI
      i += 2;
      continue;
    }
    sync_style();
    out += static_cast<char>(c);  // the browser shows a broken sequence as U+FFFD
    ++i;
  }
  if (span_open) out += "</span>";
  return out;
}

std::string ansi_to_html(std::string_view text, std::size_t max_out) {
  AnsiHtml renderer;
  return renderer.feed(text, max_out);
}

}  // namespace juanie::daemon::web
