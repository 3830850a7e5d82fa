#include "daemon/api/approval_handlers.hpp"

#include <algorithm>
#include <iterator>
#include <limits>

#include "daemon/api/paging.hpp"
#include "daemon/api/runs_json.hpp"
#include "daemon/store/approvals.hpp"
#include "daemon/store/deployments.hpp"
#include "pipelines/approval_gate.hpp"

namespace juanie::daemon::api {

http::Response list_approvals(const RouteDeps& deps, const http::Request& req) {
  const auto state = req.query("state");
  if (state && *state != "pending" && *state != "decided") {
    return http::error_response(400, "state must be pending or decided");
  }
  const auto page = parse_page(req);
  if (!page) return http::error_response(400, page.error().message);
  const auto projects = deps.projects.get();
  // A page holds the approvals of at most `limit` deployments (newest first), never part of
  // one deployment's; a deployment with nothing to show takes no room.
  std::optional<std::int64_t> next;
  auto items = deps.reader.with([&](store::Database& db) -> Result<std::vector<ApprovalItem>> {
    std::vector<ApprovalItem> out;
    int taken = 0;
    std::int64_t before = page->before.value_or(std::numeric_limits<std::int64_t>::max());
    for (;;) {
      auto waiting = store::deployments_in_state_before(
          db, pipelines::DeploymentState::kAwaitingApproval, page->limit, before);
      if (!waiting) return std::unexpected(waiting.error());
      for (const auto& d : *waiting) {
        auto decided = store::approvals_of(db, d.id);
        if (!decided) return std::unexpected(decided.error());
        auto it = projects->find(d.project);
        const auto* env =
            it == projects->end() ? nullptr : it->second->config.environment(d.environment);
        const auto gate = env ? pipelines::gate_of(*env) : std::nullopt;
        std::vector<ApprovalItem> of_this;
        if (state != "decided" && gate) {
          for (const auto& name : gate->approvers) {
            const bool done = std::any_of(decided->begin(), decided->end(),
                                          [&](const auto& a) { return a.approver == name; });
            if (!done) of_this.push_back({d, name, std::nullopt});
          }
        }
        if (state != "pending") {
          for (const auto& a : *decided) of_this.push_back({d, a.approver, a});
        }
        if (of_this.empty()) continue;
        if (taken == page->limit) {
          next = out.back().deployment.id;
          return out;
        }
        ++taken;
        std::move(of_this.begin(), of_this.end(), std::back_inserter(out));
      }
      if (waiting->size() < static_cast<std::size_t>(page->limit)) return out;
      before = waiting->back().id;
    }
  });
  if (!items) return http::error_response(503, items.error().message);
  return http::json_response(200, approvals_list_json(*items, next));
}

}  // namespace juanie::daemon::api
