#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The server's view of HTTP, free of Beast: handlers take a Request and give a Response, so
// they can be tested with hand-built values and never see a socket.
namespace juanie::daemon::http {

struct Request {
  std::string method;
  std::string target;  // path and query, as sent
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_address;

  // Case-insensitive; the first value when a header repeats.
  std::optional<std::string_view> header(std::string_view name) const;
  std::string_view path() const;
  // The decoded value of one query parameter, or nullopt.
  std::optional<std::string> query(std::string_view name) const;
};

// A body produced while it is sent (chunked), such as a log followed live. `next` is called on
// a server thread: the next bytes; "" when there is nothing yet (asked again shortly); nullopt
// when the body is complete.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  virtual std::optional<std::string> next() = 0;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<ResponseStream> stream;  // when set, sent after `body`, chunk by chunk
};

Response json_response(int status, std::string body);
Response text_response(int status, std::string body);
// {"error": message} — every refusal looks the same to a client.
Response error_response(int status, std::string_view message);

bool iequals(std::string_view a, std::string_view b);

// application/x-www-form-urlencoded and query-string decoding ('+' is a space); nullopt for a
// broken %XX escape.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace juanie::daemon::http
