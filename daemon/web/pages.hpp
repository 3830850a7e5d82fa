#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace juanie::daemon::web {

// The status page's HTML, as pure functions of what they show. Forms and links work without
// script; where `script` is set the page loads /assets/juanie.js (the only script its CSP
// lets in), which keeps it live.

// The document up to <body>: the shared style plus `style`; with `script`, /assets/juanie.js.
std::string head(std::string_view title, std::string_view style = "", bool script = false);
// The top of a signed-in page: its heading, who is signed in and the sign-out form.
std::string signed_in_header(std::string_view heading, std::string_view who, std::string_view csrf);

// The sign-in form (a token from api_tokens); `problem` when the last attempt failed. `next`:
// the page to land on once signed in (a deep link such as /runs/7), "/" by default.
std::string sign_in_page(std::optional<std::string_view> problem, std::string_view next = "/");

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
// The runs as the home page's table (each linking to /runs/{id}), or a line saying there are
// none: also what /runs/table answers, so the page's script can refresh it.
std::string runs_table(const std::vector<RunRow>& runs);

}  // namespace juanie::daemon::web
