#pragma once

#include <map>
#include <string>
#include <string_view>

#include "pipelines/error.hpp"

namespace juanie::pipelines {

// The names a GitOps commit message template may use, as {name}.
inline constexpr const char* kMessageFields[] = {
    "project", "environment", "image", "tag", "digest", "sha", "short_sha", "run", "branch"};

inline constexpr std::string_view kDefaultCommitMessage =
    "deploy {project} {tag} to {environment}\n\nimage: {image}:{tag}\nsource commit: {sha}\nrun: "
    "{run}\n";

// Replaces each {name} with its value; `{{` and `}}` are literal braces. An unknown name or an
// unclosed brace is an error naming it (checked when the project file is loaded).
Result<std::string> render_message(std::string_view tmpl,
                                   const std::map<std::string, std::string>& values);

// The same check without values: every {name} must be one of kMessageFields.
Result<void> check_message_template(std::string_view tmpl);

}  // namespace juanie::pipelines
