#pragma once

// How the server reads one request off a connection: the parser's limits and the byte budget,
// shared by daemon/http/server.cpp and the framing fuzz target so both run the same setup.
// Beast shows here on purpose: include this only from daemon/http/*.cpp and tests, never from
// a header a handler sees.

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace juanie::daemon::http {

// One chunk's extensions (";name=value..."). Nothing Juanie serves uses them; a line this long
// is an attack or a broken client.
inline constexpr std::size_t kChunkExtensionMax = 1024;

struct FramingLimits {
  std::size_t header_max = 32 * 1024;
  std::uint64_t body_max = 25ULL << 20;

  // The connection's read buffer. Bytes the parser has not taken yet (a chunk-size line, the
  // trailers, the header) wait here, so this bounds them whatever the framing: Beast 1.81
  // bounds neither chunk extensions nor trailers by body_limit.
  std::size_t buffer_max() const { return header_max + 4 * 1024; }
  // Every byte one request may take off the socket: header, body, and chunk framing (sizes,
  // CRLFs, extensions, trailers) up to an allowance generous for clients that send small
  // chunks.
  std::uint64_t request_max() const { return header_max + body_max + 16 * 1024 + body_max / 8; }
  // What one request in the parser can make the daemon hold at most: the read buffer, the
  // body string (whose capacity may double past its size while it grows), and the header
  // fields and trailer fields, each parsed from at most a buffer's worth.
  std::uint64_t held_max() const { return 3 * buffer_max() + 2 * body_max; }
};

// A refusal the server answers itself, before any handler: 400, 413 or 431.
struct Refusal {
  int status = 400;
  std::string message;
};

// What one read off a connection takes at most (less when `buffer_max()` is smaller): a
// typical webhook, header and body, in one system call.
inline constexpr std::size_t kReadChunk = 16 * 1024;

// The buffer a connection reads into, bounded by `limits.buffer_max()`, with room for
// kReadChunk from the start.
boost::beast::flat_buffer connection_buffer(const FramingLimits& limits);

// One request's parser, configured with the limits, and the count of bytes it has taken.
class RequestFraming {
 public:
  using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

  explicit RequestFraming(const FramingLimits& limits);
  // The parser keeps a reference to the chunk callback here: this object stays where it is.
  RequestFraming(const RequestFraming&) = delete;
  RequestFraming& operator=(const RequestFraming&) = delete;

  Parser& parser() { return parser_; }
  const Parser& parser() const { return parser_; }

  // Lowers this request's body cap to `max` (named `name` in the 413) once its header is read
  // and before any of its body is: a 413 at once when the announced Content-Length passes it;
  // else the parser refuses a body (chunked or not) as it passes it. A higher `max` changes
  // nothing.
  std::optional<Refusal> limit_body(std::uint64_t max, std::string name);
  // Counts `bytes` the parser has just taken; a 413 once the request passes request_max().
  std::optional<Refusal> consumed(std::size_t bytes);
  // The answer to a read that failed with `ec`; nullopt when there is nobody to answer (the
  // client went away or timed out) and the connection just closes.
  std::optional<Refusal> refusal(const boost::system::error_code& ec) const;
  // Bytes this request holds now, `buffer` (the connection's) included.
  std::uint64_t held(const boost::beast::flat_buffer& buffer) const;
  std::uint64_t consumed_bytes() const { return consumed_; }

 private:
  FramingLimits limits_;
  std::string body_max_name_ = "limits.body_max";
  Parser parser_;
  std::uint64_t consumed_ = 0;
  bool extension_too_long_ = false;
  std::function<void(std::uint64_t, boost::beast::string_view, boost::system::error_code&)>
      on_chunk_header_;
};

}  // namespace juanie::daemon::http
