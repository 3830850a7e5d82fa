#pragma once

#include <string>
#include <string_view>

#include "pipelines/error.hpp"

namespace juanie::daemon::api {

// The ref of a `POST /api/v1/projects/{project}/runs` body, `{"ref": "main"}`: a JSON object
// with exactly that string field, non-empty. Anything else is a kInvalid error saying what.
Result<std::string> parse_start_run_body(std::string_view body);

// "/api/v1/projects/shop-api/runs" → "shop-api"; empty when the path is not of that shape.
std::string_view start_run_project(std::string_view path);

}  // namespace juanie::daemon::api
