#pragma once

#include <functional>

#include "daemon/approvals/approval_flow.hpp"
#include "daemon/clock.hpp"
#include "daemon/http/server.hpp"
#include "daemon/log.hpp"
#include "daemon/project_registry.hpp"
#include "daemon/store/reader.hpp"
#include "daemon/store/writer.hpp"

namespace juanie::daemon::approvals {

struct DeskDeps {
  const ApprovalFlow& flow;
  store::Writer& writer;
  store::Reader& reader;
  const ProjectRegistry& projects;
  const Clock& clock;
  Log& log;
  std::function<void()> on_decided;  // outbox or deployments changed: wake who sends and deploys
};

// GET and POST /approve/{token}. GET shows what would be approved and changes nothing (mail
// scanners and chat unfurlers open links by themselves); POST with the form's CSRF value
// records the decision. Every answer is an HTML page that says what happened.
class ApprovalDesk {
 public:
  explicit ApprovalDesk(DeskDeps deps) : deps_(std::move(deps)) {}

  void handle(const http::Request& request, http::Reply reply) const;

 private:
  http::Response show(const LinkClaims& claims, const std::string& action,
                      const std::string& preselected) const;
  void decide(const http::Request& request, const LinkClaims& claims, http::Reply reply) const;
  // A refused POST: recorded in the audit log, then answered.
  void refuse(const http::Request& request, const std::string& approver,
              std::optional<std::int64_t> deployment, int status, const std::string& title,
              const std::string& message, http::Reply reply) const;

  DeskDeps deps_;
};

// The headers every approval page is sent with: not cached, no referrer, nothing loaded from
// elsewhere, not framed.
http::Response page_response(int status, std::string html);

}  // namespace juanie::daemon::approvals
