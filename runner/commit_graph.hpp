#pragma once

#include <filesystem>
#include <string>

#include "pipelines/error.hpp"

namespace juanie::runner {

// Whether commit `older` is a strict ancestor of `newer` in the repository at `repo`: then
// deploying `older` after `newer` moves an environment backwards. An unknown commit is an error.
Result<bool> is_strict_ancestor(const std::filesystem::path& repo, const std::string& older,
                                const std::string& newer);

}  // namespace juanie::runner
