#include "daemon/api/node_handlers.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace juanie::daemon::api {

http::Response list_nodes(const RouteDeps& deps) {
  if (!deps.nodes) return http::error_response(404, "no nodes are known here");
  auto nodes = deps.nodes();
  if (!nodes) return http::error_response(503, "cannot read the nodes: " + nodes.error().message);
  boost::json::array out;
  for (const auto& n : *nodes) {
    boost::json::array labels;
    for (const auto& label : n.labels) labels.emplace_back(label);
    out.emplace_back(boost::json::object{{"name", n.name},
                                         {"labels", std::move(labels)},
                                         {"capacity", n.capacity},
                                         {"running", n.running},
                                         {"started_at", n.started_at},
                                         {"last_heartbeat", n.heartbeat_at},
                                         {"alive", n.alive}});
  }
  return http::json_response(
      200, boost::json::serialize(boost::json::object{{"nodes", std::move(out)}}));
}

}  // namespace juanie::daemon::api
