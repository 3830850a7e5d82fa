#include "daemon/http/request_framing.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/beast/core/read_size.hpp>
#include <cstring>
#include <string>
#include <string_view>

namespace juanie::daemon::http {
namespace {

std::string webhook(std::size_t body_size) {
  const std::string body(body_size, 'x');
  return "POST /hooks/github/shop HTTP/1.1\r\nHost: ci\r\nContent-Type: application/json\r\n"
         "X-GitHub-Event: push\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Reads one request off `wire` the way Beast's http::read_some does (read_size() bytes into
// the connection buffer, then the parser takes what it can) and counts the reads.
int reads_for_one_request(const FramingLimits& limits, boost::beast::flat_buffer& buffer,
                          std::string_view& wire) {
  RequestFraming framing(limits);
  auto& parser = framing.parser();
  parser.eager(true);
  int reads = 0;
  while (!parser.is_done()) {
    const std::size_t n = std::min(boost::beast::read_size(buffer, 65536), wire.size());
    if (n == 0) return -1;
    std::memcpy(buffer.prepare(n).data(), wire.data(), n);
    buffer.commit(n);
    wire.remove_prefix(n);
    ++reads;
    boost::system::error_code ec;
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec && ec != boost::beast::http::error::need_more) return -1;
  }
  return reads;
}

// A 7 KB webhook arriving at once is one system call, also on a kept-alive connection. The
// buffer used to start empty and, emptied by the parser after each read, never grew: 16 reads
// of 512 bytes per webhook.
TEST(RequestFraming, AWebhookThatArrivedWholeIsTakenInOneRead) {
  const FramingLimits limits;
  auto buffer = connection_buffer(limits);
  const std::string request = webhook(7 * 1024);
  for (int kept_alive = 0; kept_alive < 3; ++kept_alive) {
    std::string_view wire = request;
    EXPECT_EQ(reads_for_one_request(limits, buffer, wire), 1);
    EXPECT_TRUE(wire.empty());
  }
}

// The read never passes the buffer's bound, whatever the limits.
TEST(RequestFraming, TheFirstReadStaysWithinSmallLimits) {
  const FramingLimits limits{1024, 4096};
  auto buffer = connection_buffer(limits);
  EXPECT_LE(boost::beast::read_size(buffer, 65536), limits.buffer_max());
  EXPECT_LE(buffer.capacity(), limits.buffer_max());
}

}  // namespace
}  // namespace juanie::daemon::http
