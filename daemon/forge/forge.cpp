#include "daemon/forge/forge.hpp"

namespace juanie::daemon {

std::string_view to_string(Forge forge) {
  switch (forge) {
    case Forge::kGithub:
      return "github";
    case Forge::kGitlab:
      return "gitlab";
    case Forge::kGitea:
      return "gitea";
  }
  return "github";
}

std::optional<Forge> parse_forge(std::string_view text) {
  if (text == "github") return Forge::kGithub;
  if (text == "gitlab") return Forge::kGitlab;
  if (text == "gitea" || text == "forgejo") return Forge::kGitea;
  return std::nullopt;
}

pipelines::StatusApi status_api(Forge forge) {
  switch (forge) {
    case Forge::kGitlab:
      return pipelines::StatusApi::kGitlab;
    case Forge::kGitea:
      return pipelines::StatusApi::kGitea;
    case Forge::kGithub:
      break;
  }
  return pipelines::StatusApi::kGithub;
}

}  // namespace juanie::daemon
