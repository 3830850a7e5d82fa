#include "daemon/http/request_framing.hpp"

#include <algorithm>
#include <boost/beast/http/error.hpp>

namespace juanie::daemon::http {
namespace {

namespace bhttp = boost::beast::http;
using error_code = boost::system::error_code;

std::string kib(std::uint64_t bytes) {
  return std::to_string(bytes / 1024) + " KiB";
}

}  // namespace

boost::beast::flat_buffer connection_buffer(const FramingLimits& limits) {
  boost::beast::flat_buffer buffer(limits.buffer_max());
  // Beast reads max(512, free capacity) bytes at a time and the parser takes all it reads, so
  // a buffer that starts empty never grows: a 7 KB webhook took 16 reads of 512 bytes.
  buffer.reserve(std::min(kReadChunk, limits.buffer_max()));
  return buffer;
}

RequestFraming::RequestFraming(const FramingLimits& limits) : limits_(limits) {
  parser_.header_limit(static_cast<std::uint32_t>(limits_.header_max));
  parser_.body_limit(limits_.body_max);
  on_chunk_header_ = [this](std::uint64_t, boost::beast::string_view extensions, error_code& ec) {
    if (extensions.size() > kChunkExtensionMax) {
      extension_too_long_ = true;
      ec = bhttp::error::bad_chunk_extension;
    }
  };
  parser_.on_chunk_header(on_chunk_header_);
}

std::optional<Refusal> RequestFraming::limit_body(std::uint64_t max, std::string name) {
  if (max >= limits_.body_max) return std::nullopt;
  limits_.body_max = max;
  body_max_name_ = name.empty() ? "this route's body cap" : std::move(name);
  parser_.body_limit(max);
  if (auto length = parser_.content_length(); length && *length > max) {
    return Refusal{413, "the body is larger than " + body_max_name_};
  }
  return std::nullopt;
}

std::optional<Refusal> RequestFraming::consumed(std::size_t bytes) {
  consumed_ += bytes;
  if (consumed_ <= limits_.request_max()) return std::nullopt;
  return Refusal{
      413, "the request (body and chunk framing) is larger than " + body_max_name_ + " allows"};
}

std::optional<Refusal> RequestFraming::refusal(const error_code& ec) const {
  if (ec == bhttp::error::header_limit) return Refusal{431, "request headers too large"};
  if (ec == bhttp::error::body_limit)
    return Refusal{413, "the body is larger than " + body_max_name_};
  if (ec == bhttp::error::buffer_overflow) {
    return Refusal{
        400, "a chunk-size line or the trailers are longer than " + kib(limits_.buffer_max())};
  }
  if (ec == bhttp::error::bad_chunk_extension && extension_too_long_) {
    return Refusal{
        400, "a chunk extension is longer than " + std::to_string(kChunkExtensionMax) + " bytes"};
  }
  // The client stopped sending: nobody to answer.
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return std::nullopt;
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
    return Refusal{400, "malformed request: " + ec.message()};
  }
  return std::nullopt;
}

std::uint64_t RequestFraming::held(const boost::beast::flat_buffer& buffer) const {
  const auto& message = parser_.get();
  std::uint64_t bytes = buffer.capacity() + message.body().capacity();
  for (const auto& field : message) bytes += field.name_string().size() + field.value().size();
  return bytes + message.target().size() + message.method_string().size();
}

}  // namespace juanie::daemon::http
