#pragma once

#include <expected>
#include <functional>
#include <optional>

#include "daemon/approvals/approval_flow.hpp"
#include "daemon/config/project_registry.hpp"
#include "daemon/http/server.hpp"
#include "daemon/store/reader.hpp"
#include "daemon/store/writer.hpp"
#include "daemon/support/clock.hpp"
#include "daemon/support/log.hpp"
#include "daemon/support/log_throttle.hpp"
#include "daemon/support/metrics.hpp"

namespace juanie::daemon::approvals {

struct DeskDeps {
  const ApprovalFlow& flow;
  store::Writer& writer;
  store::Reader& reader;
  const ProjectRegistry& projects;
  const Clock& clock;
  Log& log;
  std::function<void()> on_decided;  // outbox or deployments changed: wake who sends and deploys
  Metrics* metrics = nullptr;        // refusals are counted here when set
};

// GET and POST /approve/{token}. GET shows what would be approved and changes nothing (mail
// scanners and chat unfurlers open links by themselves); POST with the form's CSRF value
// records the decision. Every answer is an HTML page that says what happened.
class ApprovalDesk {
 public:
  explicit ApprovalDesk(DeskDeps deps) : deps_(std::move(deps)) {}

  void handle(const http::Request& request, http::Reply reply) const;
  // Before the body is read: the answer to a link that fails verification (anyone can send
  // one, so it is counted and logged at most once a minute, never stored), else nullopt.
  std::optional<http::Response> screen(const http::Request& head) const;

 private:
  http::Response show(const LinkClaims& claims, const std::string& action,
                      const std::string& preselected) const;
  void decide(const http::Request& request, const LinkClaims& claims, http::Reply reply) const;
  // A refused POST of a correctly signed link (it names a real approver): recorded in the
  // audit log, counted under `reason`, then answered.
  void refuse(const http::Request& request, const std::string& approver,
              std::optional<std::int64_t> deployment, std::string_view reason, int status,
              const std::string& title, const std::string& message, http::Reply reply) const;
  void count(std::string_view reason) const;
  // The link's claims, or the 403 page for a link that fails verification (counted, and
  // logged at most once a minute).
  std::expected<LinkClaims, http::Response> claims_of(const http::Request& request) const;

  DeskDeps deps_;
  mutable LogThrottle invalid_links_{std::chrono::seconds(60)};
};

// The headers every approval page is sent with: not cached, no referrer, nothing loaded from
// elsewhere, not framed.
http::Response page_response(int status, std::string html);

}  // namespace juanie::daemon::approvals
