#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace juanie::daemon::web {

// The status page's HTML, as pure functions of what they show. No script: forms and links
// only, so the page works in any browser and its CSP forbids scripts outright.

// The start of every page up to its <body>: title, inline style, no script.
std::string page_head(std::string_view title);
// The top of a signed-in page: its heading, who is signed in and the sign-out form.
std::string signed_in_header(std::string_view heading, std::string_view who, std::string_view csrf);

// The sign-in form (a token from api_tokens); `problem` when the last attempt failed.
std::string sign_in_page(std::optional<std::string_view> problem);

struct RunRow {
  std::int64_t id = 0;
  std::string project;
  std::string branch;  // or the ref when it is not a branch
  std::string sha;
  std::string environment;
  std::string state;
  std::string created_at;
};

struct HomeView {
  std::string signed_in_as;  // the token's person, or its name
  std::string csrf;
  std::vector<RunRow> runs;           // newest first
  std::vector<std::string> projects;  // each links to /projects/{p}
};

std::string home_page(const HomeView& v);

}  // namespace juanie::daemon::web
