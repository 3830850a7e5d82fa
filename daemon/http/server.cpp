#include "daemon/http/server.hpp"

#include <fcntl.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <iostream>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "daemon/http/request_framing.hpp"

namespace juanie::daemon::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

constexpr std::chrono::seconds kLingerTime{2};

// Asio (1.81) opens and accepts without SOCK_CLOEXEC: mark each descriptor at once, so a
// child never inherits the daemon's listening socket or a client's connection.
void close_on_exec(int fd) {
  ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC);
}

// What every session shares with the server.
struct Shared {
  ServerOptions options;
  FramingLimits limits;
  Handler handler;
  std::atomic<int> sessions{0};
  std::atomic<bool> draining{false};
  std::mutex mutex;
  std::list<std::function<void()>> idle_closers;     // one per live session
  std::unordered_map<std::string, int> per_address;  // live sessions by client address
};

bhttp::response<bhttp::string_body> to_beast(Response&& r, unsigned version, bool keep_alive) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
  res.set(bhttp::field::server, "juanie");
  res.set(bhttp::field::content_type, r.content_type);
  for (auto& [name, value] : r.headers) res.set(name, value);
  res.body() = std::move(r.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  // `peer` has been counted in shared.per_address; the session gives it back.
  template <class... Args>
  Session(Shared& shared, std::string peer, Args&&... args)
      : shared_(shared), peer_(std::move(peer)), stream_(std::forward<Args>(args)...) {
    shared_.sessions.fetch_add(1);
  }

  ~Session() {
    {
      std::lock_guard lock(shared_.mutex);
      if (registered_) shared_.idle_closers.erase(closer_);
      if (auto it = shared_.per_address.find(peer_); it != shared_.per_address.end()) {
        if (--it->second <= 0) shared_.per_address.erase(it);
      }
    }
    shared_.sessions.fetch_sub(1);
  }

  void start() {
    {
      std::lock_guard lock(shared_.mutex);
      std::weak_ptr<Session> weak = this->shared_from_this();
      closer_ = shared_.idle_closers.insert(shared_.idle_closers.end(), [weak] {
        if (auto self = weak.lock()) {
          net::post(self->stream_.get_executor(), [self] { self->close_if_idle(); });
        }
      });
      registered_ = true;
    }
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->begin(); });
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void begin() {
    if constexpr (kTls) {
      lowest().expires_after(shared_.options.header_timeout);
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = this->shared_from_this()](error_code ec) {
                                if (!ec) self->read_header();
                              });
    } else {
      read_header();
    }
  }

  void read_header() {
    if (shared_.draining.load()) return close();
    framing_.emplace(shared_.limits);
    idle_ = true;
    lowest().expires_after(shared_.options.header_timeout);
    bhttp::async_read_header(stream_, buffer_, framing_->parser(),
                             [self = this->shared_from_this()](error_code ec, std::size_t n) {
                               self->on_header(ec, n);
                             });
  }

  void close_if_idle() {
    if (idle_ && buffer_.size() == 0) close();
  }

  // A read that failed: answered when the request was at fault, else the connection closes.
  void on_read_error(error_code ec) {
    if (auto refusal = framing_->refusal(ec)) return refuse(refusal->status, refusal->message);
    close();
  }

  void on_header(error_code ec, std::size_t consumed) {
    idle_ = false;
    if (ec) return on_read_error(ec);
    if (auto refusal = framing_->consumed(consumed))
      return refuse(refusal->status, refusal->message);
    auto& parser = framing_->parser();
    const auto& header = parser.get();
    if (auto length = parser.content_length(); length && *length > shared_.options.body_max) {
      return refuse(413, "the body is larger than limits.body_max");
    }
    version_ = header.version();
    keep_alive_ = header.keep_alive();
    head_ = Request{};
    head_.method = std::string(header.method_string());
    head_.target = std::string(header.target());
    head_.headers.reserve(16);
    for (const auto& field : header) {
      head_.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    head_.remote_address = peer_;
    if (shared_.options.screen) {
      Screening screening = shared_.options.screen(head_);
      if (screening.answer) {
        // A body still to come is not read: answer, then close.
        return write(std::move(*screening.answer), !parser.is_done());
      }
      if (screening.body_max) {
        if (auto refusal = framing_->limit_body(*screening.body_max, screening.body_max_name))
          return refuse(refusal->status, refusal->message);
      }
    }
    if (!parser.is_done() && beast::iequals(header[bhttp::field::expect], "100-continue")) {
      auto res = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_,
                                                                      header.version());
      lowest().expires_after(shared_.options.body_timeout);
      bhttp::async_write(stream_, *res,
                         [self = this->shared_from_this(), res](error_code write_ec, std::size_t) {
                           if (write_ec) return self->close();
                           self->read_body();
                         });
      return;
    }
    lowest().expires_after(shared_.options.body_timeout);
    read_body_part();
  }

  void read_body() {
    lowest().expires_after(shared_.options.body_timeout);
    read_body_part();
  }

  // The body a piece at a time, so every byte the parser takes is counted against the
  // request's budget (chunk framing included), not only the body's own bytes.
  void read_body_part() {
    if (framing_->parser().is_done()) return on_body();
    bhttp::async_read_some(stream_, buffer_, framing_->parser(),
                           [self = this->shared_from_this()](error_code ec, std::size_t n) {
                             if (auto refusal = self->framing_->consumed(n)) {
                               return self->refuse(refusal->status, refusal->message);
                             }
                             if (ec) return self->on_read_error(ec);
                             self->read_body_part();
                           });
  }

  void on_body() {
    lowest().expires_never();
    Request req = std::move(head_);
    req.body = std::move(framing_->parser().get().body());
    keep_alive_ = framing_->parser().get().keep_alive();
    auto executor = stream_.get_executor();
    shared_.handler(std::move(req), [self = this->shared_from_this(), executor](Response r) {
      net::post(executor, [self, r = std::move(r)]() mutable { self->write(std::move(r), false); });
    });
  }

  // Answers and closes without reading the rest of the request.
  void refuse(int status, std::string_view message) {
    const auto& head = framing_->parser().get();
    version_ = framing_->parser().is_header_done() ? head.version() : 11;
    if (shared_.options.on_refused) {
      error_code ignored;
      auto endpoint = lowest().socket().remote_endpoint(ignored);
      shared_.options.on_refused(status,
                                 framing_->parser().is_header_done()
                                     ? std::string_view(head.target())
                                     : std::string_view(),
                                 ignored ? "" : endpoint.address().to_string());
    }
    write(error_response(status, message), true);
  }

  void write(Response r, bool close_after) {
    if (r.stream) return write_stream(std::move(r));
    const bool keep = keep_alive_ && !close_after && !shared_.draining.load();
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(
        to_beast(std::move(r), version_, keep));
    lowest().expires_after(shared_.options.body_timeout);
    bhttp::async_write(
        stream_, *res,
        [self = this->shared_from_this(), res, keep, close_after](error_code ec, std::size_t) {
          if (ec) return self->close();
          if (close_after) return self->linger_close();
          if (keep) return self->read_header();
          self->close();
        });
  }

  // A streamed body: the header with chunked encoding, then whatever the stream yields until
  // it ends (or the server drains), then the connection closes.
  void write_stream(Response r) {
    body_stream_ = std::move(r.stream);
    auto res = std::make_shared<bhttp::response<bhttp::empty_body>>(
        static_cast<bhttp::status>(r.status), version_);
    res->set(bhttp::field::server, "juanie");
    res->set(bhttp::field::content_type, r.content_type);
    res->set(bhttp::field::cache_control, "no-store");
    for (auto& [name, value] : r.headers) res->set(name, value);
    res->chunked(true);
    res->keep_alive(false);
    auto serializer = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*res);
    lowest().expires_after(shared_.options.body_timeout);
    bhttp::async_write_header(
        stream_, *serializer,
        [self = this->shared_from_this(), res, serializer,
         first = std::make_shared<std::string>(std::move(r.body))](error_code ec, std::size_t) {
          if (ec) return self->close();
          if (first->empty()) return self->pump();
          self->send_chunk(std::move(*first));
        });
  }

  void pump() {
    std::optional<std::string> chunk;
    if (!shared_.draining.load()) chunk = body_stream_->next();
    if (!chunk) {
      lowest().expires_after(shared_.options.body_timeout);
      net::async_write(
          stream_, bhttp::make_chunk_last(),
          [self = this->shared_from_this()](error_code, std::size_t) { self->close(); });
      return;
    }
    if (chunk->empty()) {
      timer_.expires_after(std::chrono::milliseconds(200));
      timer_.async_wait([self = this->shared_from_this()](error_code ec) {
        if (ec) return self->close();
        self->pump();
      });
      return;
    }
    send_chunk(std::move(*chunk));
  }

  void send_chunk(std::string data) {
    auto owned = std::make_shared<std::string>(std::move(data));
    lowest().expires_after(shared_.options.body_timeout);
    net::async_write(stream_, bhttp::make_chunk(net::buffer(*owned)),
                     [self = this->shared_from_this(), owned](error_code ec, std::size_t) {
                       if (ec) return self->close();
                       self->pump();
                     });
  }

  // After refusing a request whose body is still arriving: stop sending, then read and drop
  // what the client still sends for a short while, so it sees our answer instead of a reset.
  void linger_close() {
    error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest().expires_after(kLingerTime);
    discard();
  }

  void discard() {
    lowest().async_read_some(net::buffer(drain_buffer_),
                             [self = this->shared_from_this()](error_code ec, std::size_t) {
                               if (ec) return self->close();
                               self->discard();
                             });
  }

  void close() {
    error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
  }

  Shared& shared_;
  const std::string peer_;
  Stream stream_;
  beast::flat_buffer buffer_{connection_buffer(shared_.limits)};
  std::optional<RequestFraming> framing_;
  Request head_;  // the request being read, without its body
  std::array<char, 16 * 1024> drain_buffer_{};
  std::shared_ptr<ResponseStream> body_stream_;
  net::steady_timer timer_{stream_.get_executor()};
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool idle_ = true;
  bool registered_ = false;
  std::list<std::function<void()>>::iterator closer_;
};

}  // namespace

struct Server::Impl {
  Impl(ServerOptions options, Handler handler) : acceptor(ioc), timer(ioc) {
    shared.options = std::move(options);
    shared.limits = FramingLimits{shared.options.header_max, shared.options.body_max};
    shared.handler = std::move(handler);
  }

  // Declared before the io_context, so destroyed after it: handlers still queued when the
  // drain gave up own sessions whose destructors reach `shared` and whose streams use `tls`.
  Shared shared;
  std::optional<net::ssl::context> tls;
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::steady_timer timer;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard;

  void accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) on_accept(std::move(socket));
      accept();
    });
  }

  // A short answer, written without waiting on the client, then close.
  static void turn_away(tcp::socket& socket, std::string_view answer) {
    error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(net::buffer(answer), ignored);
    socket.close(ignored);
  }

  void on_accept(tcp::socket socket) {
    close_on_exec(socket.native_handle());
    if (shared.sessions.load() >= shared.options.max_connections) {
      return turn_away(socket,
                       "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                       "Connection: close\r\n\r\n");
    }
    error_code ec;
    const auto endpoint = socket.remote_endpoint(ec);
    if (ec) return;
    std::string peer = endpoint.address().to_string();
    bool over = false;
    {
      std::lock_guard lock(shared.mutex);
      int& open = shared.per_address[peer];  // at least 1 while over: no empty entry stays
      over = open >= shared.options.connections_per_ip;
      if (!over) ++open;
    }
    if (over) {
      // One client's share is taken: others are still served.
      return turn_away(socket,
                       "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n"
                       "Connection: close\r\n\r\n");
    }
    if (tls) {
      std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(shared, std::move(peer),
                                                                      std::move(socket), *tls)
          ->start();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(shared, std::move(peer), std::move(socket))
          ->start();
    }
  }

  void watch_drain(std::chrono::steady_clock::time_point deadline) {
    timer.expires_after(std::chrono::milliseconds(20));
    timer.async_wait([this, deadline](error_code) {
      if (shared.sessions.load() == 0 || std::chrono::steady_clock::now() >= deadline) {
        guard.reset();
        ioc.stop();
        return;
      }
      watch_drain(deadline);
    });
  }
};

Server::Server(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

Server::~Server() = default;

Result<void> Server::listen() {
  auto& o = impl_->shared.options;
  if (o.tls_cert && o.tls_key) {
    try {
      impl_->tls.emplace(net::ssl::context::tls_server);
      impl_->tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                              net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                              net::ssl::context::no_tlsv1_1);
      impl_->tls->use_certificate_chain_file(o.tls_cert->string());
      impl_->tls->use_private_key_file(o.tls_key->string(), net::ssl::context::pem);
    } catch (const boost::system::system_error& e) {
      return fail("tls: cannot load " + o.tls_cert->string() + " / " + o.tls_key->string() + ": " +
                  e.what());
    }
  }
  error_code ec;
  auto address = net::ip::make_address(o.host, ec);
  if (ec) return fail("listen: \"" + o.host + "\" is not an IP address");
  tcp::endpoint endpoint(address, o.port);
  auto& a = impl_->acceptor;
  if (a.open(endpoint.protocol(), ec); ec) return fail("listen: " + ec.message());
  close_on_exec(a.native_handle());
  a.set_option(net::socket_base::reuse_address(true), ec);
  if (a.bind(endpoint, ec); ec) {
    return fail("listen: cannot bind " + o.host + ":" + std::to_string(o.port) + ": " +
                ec.message());
  }
  if (a.listen(net::socket_base::max_listen_connections, ec); ec) {
    return fail("listen: " + ec.message());
  }
  return {};
}

std::uint16_t Server::port() const {
  error_code ec;
  auto endpoint = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void Server::run(int threads) {
  impl_->guard.emplace(impl_->ioc.get_executor());
  impl_->accept();
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : pool) t.join();
}

void Server::drain(std::chrono::milliseconds deadline) {
  net::post(impl_->ioc, [this, deadline] {
    if (impl_->shared.draining.exchange(true)) return;
    error_code ignored;
    impl_->acceptor.close(ignored);
    {
      std::lock_guard lock(impl_->shared.mutex);
      for (auto& close_if_idle : impl_->shared.idle_closers) close_if_idle();
    }
    impl_->watch_drain(std::chrono::steady_clock::now() + deadline);
  });
}

int Server::active_connections() const {
  return impl_->shared.sessions.load();
}

}  // namespace juanie::daemon::http
