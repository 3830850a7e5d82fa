#include "daemon/cmd/validate.hpp"

#include "daemon/approvals/approval_wiring.hpp"
#include "daemon/config/loader.hpp"
#include "pipelines/pipeline_file.hpp"
#include "pipelines/yaml_reader.hpp"

namespace juanie::daemon {

Result<std::string> validate_file(const std::filesystem::path& file,
                                  std::optional<std::string> credentials_directory) {
  auto text = config::read_text_file(file);
  if (!text) return std::unexpected(text.error());
  auto doc = pipelines::parse_yaml(*text, file.string());
  if (!doc) return std::unexpected(doc.error());
  if (doc->IsMap() && (*doc)["repo"].IsDefined()) {
    auto project = config::parse_project_config(*text, file);
    if (!project) return std::unexpected(project.error());
    return "project " + project->name + " (" + std::to_string(project->rules.size()) +
           " branch rules, " + std::to_string(project->environments.size()) + " environments)";
  }
  if (doc->IsMap() && ((*doc)["data_dir"].IsDefined() || (*doc)["projects_dir"].IsDefined() ||
                       (*doc)["listen"].IsDefined())) {
    auto configuration = config::load_configuration(file, std::move(credentials_directory));
    if (!configuration) return std::unexpected(configuration.error());
    // Wired as `serve` wires it: what passes here starts.
    if (auto wiring = approvals::ApprovalWiring::load(configuration->daemon); !wiring) {
      return std::unexpected(wiring.error());
    }
    return "daemon configuration with " + std::to_string(configuration->projects.size()) +
           " project(s)";
  }
  if (doc->IsMap() && (*doc)["steps"].IsDefined()) {
    auto pipeline = pipelines::parse_pipeline(*text, file.string());
    if (!pipeline) return std::unexpected(pipeline.error());
    return "pipeline with " + std::to_string(pipeline->steps.size()) + " step(s)" +
           (pipeline->image ? " and an image build" : "");
  }
  return fail(file.string() +
              ":1: not a juanie file: expected a daemon configuration (data_dir, projects_dir) "
              "a project (name, repo) or a pipeline (steps)");
}

}  // namespace juanie::daemon
