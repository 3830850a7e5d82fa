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

// A route's smaller cap, set once the header is read: a Content-Length over it is refused at
// once, a chunked body as soon as it passes it, and the 413 names the route's cap.
TEST(RequestFraming, ARouteCapsItsBodyBelowBodyMaxWhateverTheFraming) {
  const FramingLimits limits;
  RequestFraming announced(limits);
  boost::system::error_code header_ec;
  announced.parser().put(
      boost::asio::buffer(std::string_view("POST /sign-in HTTP/1.1\r\nHost: x\r\n"
                                           "Content-Length: 20000\r\n\r\n")),
      header_ec);
  ASSERT_TRUE(announced.parser().is_header_done());
  auto refused = announced.limit_body(16 * 1024, "a page form's 16 KiB");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 413);
  EXPECT_EQ(refused->message, "the body is larger than a page form's 16 KiB");
  EXPECT_FALSE(RequestFraming(limits).limit_body(limits.body_max + 1, "more"));

  RequestFraming chunked(limits);
  const std::string head =
      "POST /sign-in HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  boost::system::error_code ec;
  std::size_t used = chunked.parser().put(boost::asio::buffer(head), ec);
  ASSERT_EQ(used, head.size());
  EXPECT_FALSE(chunked.limit_body(1024, "a 1 KiB form"));
  const std::string body =
      "200\r\n" + std::string(512, 'x') + "\r\n401\r\n" + std::string(1025, 'x') + "\r\n0\r\n\r\n";
  std::string_view rest = body;
  while (!rest.empty() && !ec) {
    used = chunked.parser().put(boost::asio::buffer(rest.data(), rest.size()), ec);
    rest.remove_prefix(used);
    if (ec == boost::beast::http::error::need_more) break;
  }
  ASSERT_EQ(ec, boost::beast::http::error::body_limit);
  auto over = chunked.refusal(ec);
  ASSERT_TRUE(over);
  EXPECT_EQ(over->status, 413);
  EXPECT_EQ(over->message, "the body is larger than a 1 KiB form");
}

}  // namespace
}  // namespace juanie::daemon::http
