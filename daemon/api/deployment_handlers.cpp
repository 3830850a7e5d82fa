#include "daemon/api/deployment_handlers.hpp"

#include "daemon/api/deployment_actions.hpp"
#include "daemon/api/error_status.hpp"
#include "daemon/api/handler_support.hpp"
#include "daemon/api/paging.hpp"
#include "daemon/api/runs_json.hpp"
#include "daemon/store/deployments.hpp"
#include "pipelines/state_machines.hpp"

namespace juanie::daemon::api {

void list_deployments(const RouteDeps& deps, const http::Request& req, http::Reply reply) {
  auto project = req.query("project");
  const auto page = parse_page(req);
  if (!page) return reply(http::error_response(400, page.error().message));
  const auto state_text = req.query("state");
  const auto state = state_text ? pipelines::parse_deployment_state(*state_text) : std::nullopt;
  if (state_text && !state) {
    return reply(http::error_response(
        400, "state must be a deployment state, e.g. pending or awaiting_approval"));
  }
  auto list = deps.reader.with([&](store::Database& db) {
    return store::list_deployments(db, project, page->limit + 1, page->before, state);
  });
  if (!list) return reply(http::error_response(503, list.error().message));
  const auto next = cut_page(*list, *page);
  auto approvals = approvals_by_id(deps.reader, *list);
  if (!approvals) return reply(http::error_response(503, approvals.error().message));
  return reply(http::json_response(200, deployments_list_json(*list, *approvals, next)));
}

void deployment_item(const RouteDeps& deps, const http::Request& req,
                     const config::ApiToken& caller, http::Reply reply) {
  constexpr std::string_view kDeployment = "/api/v1/deployments/";
  const std::string_view path = req.path();
  if (!path.starts_with(kDeployment)) return reply(http::error_response(404, "no such endpoint"));
  std::string_view rest = path.substr(kDeployment.size());
  const auto slash = rest.find('/');
  const auto id = parse_id(rest.substr(0, slash));
  const std::string_view action = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  if (!id) return reply(http::error_response(404, "no such deployment"));
  if (action == "trigger" || action == "cancel") {
    if (req.method != "POST") return reply(http::error_response(405, "method not allowed"));
    return change_deployment(deps, *id, std::string(action), caller.name, caller.person,
                             std::move(reply));
  }
  if (!action.empty()) return reply(http::error_response(404, "no such endpoint"));
  if (req.method != "GET") return reply(http::error_response(405, "method not allowed"));
  auto d = deps.reader.with([&](store::Database& db) { return store::find_deployment(db, *id); });
  if (!d) return reply(http::error_response(503, d.error().message));
  if (!*d) return reply(http::error_response(404, "no such deployment"));
  auto approvals = approvals_by_id(deps.reader, {**d});
  if (!approvals) return reply(http::error_response(503, approvals.error().message));
  reply(http::json_response(200, deployment_json(**d, *approvals)));
}

void change_deployment(const RouteDeps& deps, std::int64_t id, const std::string& action,
                       const std::string& who, const std::string& person, http::Reply reply) {
  change_deployment_state(deps, id, action, who, person,
                          [id, action, reply = std::move(reply)](Result<std::string> state) {
                            if (!state) {
                              return reply(http::error_response(http_status(state.error().kind),
                                                                state.error().message));
                            }
                            reply(http::json_response(action == "cancel" ? 200 : 202,
                                                      R"({"deployment":)" + std::to_string(id) +
                                                          R"(,"state":")" + *state + R"("})"));
                          });
}

}  // namespace juanie::daemon::api
