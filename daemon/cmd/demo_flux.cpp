#include "daemon/cmd/demo_flux.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <thread>

#include "daemon/http/client.hpp"
#include "daemon/support/crypto.hpp"

namespace juanie::daemon {

namespace json = boost::json;

int DemoFlux::tell(const std::string& environment, const std::string& reason,
                   const std::string& severity, const std::string& commit,
                   const std::string& message) const {
  json::object event;
  event["involvedObject"] = json::object{{"kind", "Kustomization"},
                                         {"namespace", "flux-system"},
                                         {"name", project_ + "-" + environment}};
  event["severity"] = severity;
  event["timestamp"] = "2026-11-30T12:00:00Z";
  event["message"] = message;
  event["reason"] = reason;
  event["metadata"] = json::object{{"kustomize.toolkit.fluxcd.io/revision", "main@sha1:" + commit}};
  event["reportingController"] = "kustomize-controller";
  const std::string body = json::serialize(event);
  auto r =
      http::send({.method = "POST",
                  .url = base_ + "/hooks/flux/" + project_,
                  .headers = {{"Content-Type", "application/json"},
                              {"X-Signature", "sha256=" + hex_encode(hmac_sha256(key_, body))}},
                  .body = body});
  return r ? r->status : 0;
}

json::value DemoFlux::get(const std::string& path) const {
  auto r = http::send(
      {.method = "GET", .url = base_ + path, .headers = {{"Authorization", "Bearer " + token_}}});
  if (!r || r->status != 200) return nullptr;
  boost::system::error_code ec;
  auto v = json::parse(r->body, ec);
  return ec ? json::value(nullptr) : v;
}

json::value DemoFlux::wait(long long id, std::initializer_list<std::string_view> states) const {
  for (int i = 0; i < 600; ++i) {
    auto d = get("/api/v1/deployments/" + std::to_string(id));
    if (d.is_object()) {
      const std::string_view state = d.at("state").as_string();
      for (auto s : states) {
        if (s == state) return d;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return nullptr;
}

}  // namespace juanie::daemon
