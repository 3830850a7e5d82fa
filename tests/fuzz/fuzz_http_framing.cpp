// Bytes from the network through the server's own request setup (RequestFraming and the
// connection buffer, daemon/http/request_framing.hpp), read the way Beast's http::read_some
// reads a socket, one request after another as on a keep-alive connection. Whatever the
// framing (chunk sizes, extensions, trailers, pipelined requests), what one request holds stays
// under FramingLimits::held_max, a finished body stays under body_max, and a refusal is a 400,
// 413 or 431.
//
// Input: byte 0 picks header_max, byte 1 body_max, byte 2 how many bytes each socket read
// delivers; the rest is what the client sends.
#include <algorithm>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/error.hpp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "daemon/http/request_framing.hpp"

using juanie::daemon::http::FramingLimits;
using juanie::daemon::http::Refusal;
using juanie::daemon::http::RequestFraming;
namespace bhttp = boost::beast::http;

namespace {

struct Socket {
  std::string_view rest;
  std::size_t piece;
};

void check_refusal(const std::optional<Refusal>& r) {
  if (r && r->status != 400 && r->status != 413 && r->status != 431) std::abort();
  if (r && r->message.empty()) std::abort();
}

// One request, as the server reads it: the header and then the body, a read at a time. false
// when the connection ends (refused, closed, or the client stopped).
bool read_request(const FramingLimits& limits, boost::beast::flat_buffer& buffer, Socket& socket) {
  RequestFraming framing(limits);
  auto& parser = framing.parser();
  for (;;) {
    boost::system::error_code ec = bhttp::error::need_more;
    if (buffer.size() > 0) {
      const std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (framing.held(buffer) > limits.held_max()) std::abort();
      if (auto refusal = framing.consumed(used)) {
        check_refusal(refusal);
        return false;
      }
      if (ec && ec != bhttp::error::need_more) {
        check_refusal(framing.refusal(ec));
        return false;
      }
      if (!ec && parser.is_done()) break;
      if (!ec && used > 0) continue;
    }
    if (socket.rest.empty()) {
      if (!parser.got_some()) return false;
      parser.put_eof(ec);
      if (ec) {
        check_refusal(framing.refusal(ec));
        return false;
      }
      break;
    }
    const std::size_t room = boost::beast::read_size(buffer, 65536);
    if (room == 0) {
      // What Beast's read does with a full buffer.
      auto refusal = framing.refusal(bhttp::error::buffer_overflow);
      if (!refusal) std::abort();
      check_refusal(refusal);
      return false;
    }
    const std::size_t n = std::min({room, socket.piece, socket.rest.size()});
    std::memcpy(buffer.prepare(n).data(), socket.rest.data(), n);
    buffer.commit(n);
    socket.rest.remove_prefix(n);
    if (buffer.size() > limits.buffer_max()) std::abort();
  }
  if (framing.held(buffer) > limits.held_max()) std::abort();
  if (parser.get().body().size() > limits.body_max) std::abort();
  if (framing.consumed_bytes() > limits.request_max()) std::abort();
  return parser.get().keep_alive();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  // The daemon takes body_max from 1 KiB; small limits let the fuzzer reach them.
  const FramingLimits limits{256 + std::size_t{data[0]} * 64, 1024 + std::uint64_t{data[1]} * 64};
  Socket socket{std::string_view(reinterpret_cast<const char*>(data) + 3, size - 3),
                1 + std::size_t{data[2]} * 16};
  boost::beast::flat_buffer buffer = juanie::daemon::http::connection_buffer(limits);
  while (read_request(limits, buffer, socket)) {
  }
  return 0;
}
