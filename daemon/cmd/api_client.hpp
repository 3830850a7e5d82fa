#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/error.hpp"

namespace juanie::daemon {

// Where a command reaches the running daemon's API, from its options.
struct ApiEndpoint {
  std::string config;      // --config FILE: http(s)://LISTEN of the daemon's config
  std::string url;         // --url URL: this base instead
  std::string token_file;  // --token-file FILE, else $JUANIE_API_TOKEN
  std::string ca_file;     // --ca-file FILE: the CA of a daemon serving https
};

// Takes the option at args[i] (and its value) into `endpoint` when it is one of the above:
// true, with i on the value; false for any other argument.
Result<bool> take_endpoint_option(const std::vector<std::string>& args, std::size_t& i,
                                  ApiEndpoint& endpoint);

// A client of the daemon's JSON API with a bearer token (commands write no database).
class ApiClient {
 public:
  static Result<ApiClient> connect(const ApiEndpoint& endpoint);

  // The JSON answer of a 2xx; otherwise an error with the daemon's message.
  Result<boost::json::object> call(const std::string& method, const std::string& path,
                                   const std::string& body = "") const;

 private:
  ApiClient(std::string base, std::string token, std::string ca_file)
      : base_(std::move(base)), token_(std::move(token)), ca_file_(std::move(ca_file)) {}
  std::string base_, token_, ca_file_;
};

// A string field of an answer, or "".
std::string text_of(const boost::json::object& o, std::string_view key);

}  // namespace juanie::daemon
