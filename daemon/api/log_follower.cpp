#include "daemon/api/log_follower.hpp"

namespace juanie::daemon::api {

std::string step_header(const std::string& name, const std::string& state,
                        const std::optional<std::string>& reason) {
  return "── " + name + " (" + state + (reason ? ": " + *reason : "") + ")\n";
}

std::optional<std::string> LogFollower::next() {
  if (tail_.ended()) return std::nullopt;
  std::string out;
  for (auto& e : tail_.poll()) {
    switch (e.kind) {
      case LogEvent::Kind::kStepStarted:
        out += "── " + e.name + "\n";
        break;
      case LogEvent::Kind::kOutput:
        out += e.bytes;
        break;
      case LogEvent::Kind::kStepEnded:
        out += "── " + e.name + " " + e.state + (e.reason ? ": " + *e.reason : "") + "\n";
        break;
      case LogEvent::Kind::kRunEnded:
        out += "── run " + std::to_string(tail_.run()) + " " + e.state +
               (e.reason ? ": " + *e.reason : "") + "\n";
        break;
    }
  }
  if (out.empty() && tail_.ended()) return std::nullopt;
  return out;
}

}  // namespace juanie::daemon::api
