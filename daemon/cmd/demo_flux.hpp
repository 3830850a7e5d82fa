#pragma once

#include <boost/json/value.hpp>
#include <initializer_list>
#include <string>
#include <string_view>

namespace juanie::daemon {

// Flux's notification-controller as `juanie demo` plays it (no cluster runs here): signed
// events (generic-hmac) about a project's Kustomizations, and the API reads that show what
// the daemon made of them.
class DemoFlux {
 public:
  DemoFlux(std::string base, std::string api_token, std::string key, std::string project)
      : base_(std::move(base)),
        token_(std::move(api_token)),
        key_(std::move(key)),
        project_(std::move(project)) {}

  // POSTs an event about `environment`'s Kustomization at GitOps commit `commit`; the HTTP
  // status (0: not sent).
  int tell(const std::string& environment, const std::string& reason, const std::string& severity,
           const std::string& commit, const std::string& message) const;
  // GET of an API path with the token; null when it did not answer 200 with JSON.
  boost::json::value get(const std::string& path) const;
  // Deployment `id` once its state is one of `states` (polled up to 60 s); null otherwise.
  boost::json::value wait(long long id, std::initializer_list<std::string_view> states) const;

 private:
  std::string base_, token_, key_, project_;
};

}  // namespace juanie::daemon
