#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace juanie::daemon::web {

// Terminal output as HTML for a <pre>: the text HTML-escaped, SGR colours and weights as
// <span class="ansi-…"> (the 16 basic colours, and the first 16 of the 256-colour palette;
// other colours are dropped), every other escape sequence (cursor moves, titles, OSC links,
// DCS…), carriage returns and control characters dropped, never shown raw. A log comes from
// a repository's steps, so it is hostile text: nothing of it reaches the page unescaped.
//
// Fed in pieces (a log followed live), it keeps its style and any escape or UTF-8 sequence
// cut at a piece's end for the next piece; each piece's HTML closes the spans it opened, so
// it can be appended on its own.
class AnsiHtml {
 public:
  // The HTML of `bytes`, at most about `max_out` bytes of it: past that the rest of the piece
  // is dropped and a note says so.
  std::string feed(std::string_view bytes, std::size_t max_out = kDefaultMax);
  static constexpr std::size_t kDefaultMax = 4 * 1024 * 1024;

 private:
  struct Style {
    int fg = -1;  // 0..15, or -1: the page's colour
    int bg = -1;
    bool bold = false, dim = false, italic = false, underline = false;
    bool operator==(const Style&) const = default;
  };
  void apply_sgr(std::string_view params);
  std::size_t take_escape(std::string_view in, std::size_t at);  // bytes used, 0: unfinished
  static std::string open_tag(const Style& s);

  Style style_;
  std::string held_;  // the unfinished escape or UTF-8 sequence at the end of the last piece
};

// A whole text at once (a finished step's log).
std::string ansi_to_html(std::string_view text, std::size_t max_out = AnsiHtml::kDefaultMax);

}  // namespace juanie::daemon::web
