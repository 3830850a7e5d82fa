#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/store/database.hpp"
#include "pipelines/state_machines.hpp"

namespace juanie::daemon::store {

// A state column read as its enum: the only place its text is parsed. The schema's CHECK
// constraints admit only the names pipelines/state_machines knows, and a database written by
// a newer juanie is refused when opened, so a name that does not parse means the file was
// altered underneath us — reading it as some other state would be worse than stopping.
template <typename State>
State state_column(const Statement& row, int column,
                   std::optional<State> (*parse)(std::string_view)) {
  const std::string text = row.text(column);
  if (auto state = parse(text)) return *state;
  std::fprintf(stderr, "juanie: the database holds an unknown state '%s'\n", text.c_str());
  std::abort();
}

}  // namespace juanie::daemon::store
