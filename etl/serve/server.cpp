#include "serve/server.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <thread>
#include <unordered_set>
#include <utility>

#include "obs/failpoints.hpp"
#include "obs/log.hpp"

namespace pinpipe::serve {
namespace {

constexpr auto after_produce_before_answer = obs::Failpoint::serve_after_produce_before_answer;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// /healthz answers within a second even while Kafka is down (an orchestrator's probe times out
// after one by default): the metadata request is bounded below that, and its answer is reused
// for health_max_age so that probes cannot pile metadata requests onto a struggling cluster.
constexpr auto health_timeout = std::chrono::milliseconds(800);
constexpr auto health_max_age = std::chrono::milliseconds(1000);
constexpr size_t endpoint_count = 7;  // Endpoint's enumerators; plus one slot for "none"
constexpr std::string_view unrouted = "none";
// The request line and every header together (what cpp-httplib allowed per line): a longer
// request line is answered 414, longer headers 431.
constexpr size_t header_limit = 8192;
// After an answer that closes the connection, input still on its way is read and dropped for
// this long, so that closing with unread data (which makes the kernel send a reset) does not
// destroy the answer before the client has read it.
constexpr auto linger_timeout = std::chrono::seconds(2);
constexpr size_t linger_byte_limit = 256 * 1024;
// Metadata requests (/healthz, /topics, a topic-cache refresh) block for up to seconds while
// Kafka is down; they run on these threads, never on the event loop.
constexpr int blocking_threads = 2;
constexpr auto accept_retry_delay = std::chrono::milliseconds(100);
constexpr std::string_view continue_response = "HTTP/1.1 100 Continue\r\n\r\n";
// Beast reads at most the read buffer's spare capacity (at least 512 bytes) per call: without
// room made up front, a 60 KiB body takes over a hundred recv calls. Requests start with room
// for a typical request; a body gets room for itself, up to the largest read.
constexpr size_t initial_read_room = 4096;
constexpr size_t largest_read = 64 * 1024;

std::string_view to_std(beast::string_view text) {
    return {text.data(), text.size()};
}

size_t endpoint_index(Endpoint endpoint) {
    return static_cast<size_t>(endpoint);
}

class Connection;

}  // namespace

struct Server::Impl {
    Impl(ServerOptions options_, ServeConfig config_, KafkaGateway& gateway_,
         obs::MetricsRegistry& registry_)
        : options(std::move(options_)),
          config(std::move(config_)),
          gateway(gateway_),
          registry(registry_),
          connections_open(
              registry.gauge("pinpipe_serve_connections", "open HTTP client connections")),
          in_flight(registry.gauge("pinpipe_serve_requests_in_flight",
                                   "requests being handled (including waiting for Kafka)")),
          records_delivered(registry.counter("pinpipe_serve_records_total",
                                             "records produced, by delivery outcome",
                                             {{"result", "delivered"}})),
          records_failed(registry.counter("pinpipe_serve_records_total",
                                          "records produced, by delivery outcome",
                                          {{"result", "failed"}})),
          acceptor(io),
          kafka_events(io, gateway.events_fd()),
          accept_retry(io),
          blocking(blocking_threads),
          health_thread(1) {
        const auto buckets = obs::exponential_buckets(0.0001, 2, 16);  // 100 µs .. 3.3 s
        for (size_t i = 0; i <= endpoint_count; ++i) {
            latency[i] = &registry.histogram("pinpipe_serve_request_duration_seconds",
                                             "time from a parsed request to its answer", buckets,
                                             {{"endpoint", std::string(slot_name(i))}});
        }
    }

    ~Impl() {
        blocking.join();
        health_thread.join();
        // Only if run() ended by an exception can produce calls still be pending: their
        // callbacks would call into connections of a server that is gone.
        gateway.forget_callbacks();
        // Connections still owned by handlers (only if run() ended by an exception) are
        // destroyed with io below, after the members they would report to.
        destroying = true;
        // The descriptor belongs to the gateway: stop watching it without closing it.
        kafka_events.release();
    }

    static std::string_view slot_name(size_t slot) {
        return slot < endpoint_count ? endpoint_name(static_cast<Endpoint>(slot)) : unrouted;
    }

    // Runs `work` (which may block) on a blocking thread, then `then(result)` on the loop.
    template <class Work, class Then>
    void off_loop(Work work, Then then) {
        asio::post(blocking, [this, work = std::move(work), then = std::move(then),
                              guard = asio::make_work_guard(io)]() mutable {
            auto result = work();
            asio::post(io, [then = std::move(then), result = std::move(result)]() mutable {
                then(std::move(result));
            });
        });
    }

    void accept();
    void watch_kafka();
    void check_health(std::function<void(HttpResponse)> answer);
    void begin_stop();
    void finish_if_idle();
    void counted(size_t endpoint_slot, int status);
    void connection_closed(Connection* connection);

    ServerOptions options;
    ServeConfig config;
    KafkaGateway& gateway;
    obs::MetricsRegistry& registry;
    obs::Gauge& connections_open;
    obs::Gauge& in_flight;
    obs::Counter& records_delivered;
    obs::Counter& records_failed;
    std::array<obs::Histogram*, endpoint_count + 1> latency{};
    // Loop thread only: request counters by (endpoint slot, status), looked up once each.
    std::map<std::pair<size_t, int>, obs::Counter*> request_counters;
    RequestParser parser;  // loop thread only

    asio::io_context io{1};  // one thread runs it: no locks in the HTTP path
    tcp::acceptor acceptor;
    asio::posix::stream_descriptor kafka_events;
    std::array<char, 64> kafka_wake_bytes{};
    asio::steady_timer accept_retry;
    asio::thread_pool blocking;
    // /healthz's metadata request runs here, never queued behind the topic lookups of
    // `blocking` (each may take seconds while Kafka is down).
    asio::thread_pool health_thread;
    std::optional<Clock::time_point> health_checked_at;  // loop thread only, like the rest
    HttpResponse health_answer;
    bool health_checking = false;
    std::vector<std::function<void(HttpResponse)>> health_waiters;
    size_t inflight_bytes = 0;  // declared bodies being received or handled (loop thread only)
    std::unordered_set<Connection*> connections;  // loop thread only
    bool accepting = false;
    bool destroying = false;
    bool stopping = false;  // loop thread's view; stop_requested is the cross-thread one
    std::atomic<bool> stop_requested{false};
    std::atomic<bool> run_entered{false};
    std::atomic<bool> run_finished{false};
};

namespace {

// One client connection: reads a request, answers it (after Kafka, for produce calls), and
// reads the next one while the connection is kept alive. Owned by the shared_ptrs its pending
// operations and callbacks hold; lives on the loop thread only.
class Connection : public std::enable_shared_from_this<Connection> {
  public:
    Connection(Server::Impl& server, tcp::socket socket)
        : m_server(server), m_stream(std::move(socket)) {
        m_buffer.reserve(initial_read_room);
        m_server.connections.insert(this);
        m_server.connections_open.add(1);
    }
    ~Connection() {
        if (!m_server.destroying) {
            release_body_budget();
            end_in_flight();
            m_server.connection_closed(this);
        }
    }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void start() { next_request(/*first=*/true); }

    // The server is stopping: a connection waiting for its next request closes now; one that
    // has received part of a request, or is answering one, finishes it first.
    void on_server_stop() {
        if (m_state == State::waiting && m_buffer.size() == 0) {
            m_stream.close();
        }
    }

  private:
    enum class State { waiting, receiving, answering, writing, lingering };

    void next_request(bool first) {
        m_parser.emplace();
        m_parser->header_limit(header_limit);
        // No limit while the headers are read: Beast would refuse a declared length over it
        // before check_head has seen the route and the key (a keyless client must get 403,
        // not learn the limit). check_head answers 413 itself; the limit is set for the body.
        m_parser->body_limit(std::numeric_limits<std::uint64_t>::max());
        m_state = State::waiting;
        m_continue_sent = false;
        m_route.reset();
        if (m_server.stopping && m_buffer.size() == 0) {
            m_stream.close();
            return;
        }
        // Set once, not per read: the request line and every header must arrive within it,
        // however slowly they trickle in.
        m_stream.expires_after(first ? m_server.options.read_timeout
                                     : m_server.options.keep_alive_timeout);
        http::async_read_header(
            m_stream, m_buffer, *m_parser,
            [self = shared_from_this()](beast::error_code ec, size_t /*bytes*/) {
                self->on_header(ec);
            });
    }

    // What a failed read means. True when the connection is done with (answered or dropped).
    bool read_failed(beast::error_code ec) {
        if (ec == http::error::body_limit) {
            reject(413);  // a chunked body went past the limit
            return true;
        }
        if (ec == http::error::header_limit) {
            // No end of the request line among the bytes read: it is the URL that is too long.
            const auto data = m_buffer.cdata();
            const std::string_view head(static_cast<const char*>(data.data()), data.size());
            reject(head.find("\r\n") == std::string_view::npos ? 414 : 431);
            return true;
        }
        if (ec == beast::error::timeout || ec == http::error::end_of_stream ||
            ec == http::error::partial_message || ec == asio::error::operation_aborted ||
            ec == asio::error::connection_reset || ec == asio::error::eof) {
            // The client went away, stayed silent or missed the request deadline: nothing to
            // answer (the stream closed the socket on a timeout), and the slot is free.
            return true;
        }
        if (ec) {
            reject(400);  // anything else the parser refused is malformed HTTP
            return true;
        }
        return false;
    }

    void on_header(beast::error_code ec) {
        if (read_failed(ec)) {
            return;
        }
        m_state = State::receiving;
        if (!admit()) {
            return;  // answered from the headers alone
        }
        if (m_parser->is_done()) {
            m_stream.expires_never();
            return on_request();
        }
        m_deadline = Clock::now() + m_server.options.request_timeout;
        m_parser->body_limit(m_server.options.max_body_bytes);
        if (const auto length = m_parser->content_length()) {
            m_buffer.reserve(
                static_cast<size_t>(std::min<uint64_t>(*length + initial_read_room, largest_read)));
        }
        if (expects_continue()) {
            return send_continue();
        }
        read_body();
    }

    // Decides from the request line and headers what can be decided (route, method, key,
    // content type, declared length, the body budget) and answers if that is a refusal: the
    // body is never read, and the connection closes after the answer when one was announced.
    // True when the request goes on to its body.
    bool admit() {
        m_started = Clock::now();
        begin_in_flight();
        m_endpoint_slot = endpoint_count;
        const auto& req = m_parser->get();
        m_keep_alive = req.keep_alive();
        m_head = req.method() == http::verb::head;
        m_path = decode_path(to_std(req.target()));
        HttpRequest head = request_view();
        head.body = {};
        auto routed = check_head(head, m_server.config, m_server.options.max_body_bytes);
        if (auto* rejected = std::get_if<HttpResponse>(&routed)) {
            refuse(std::move(*rejected));
            return false;
        }
        m_route = std::get<Route>(std::move(routed));
        m_endpoint_slot = endpoint_index(m_route->endpoint);
        if (m_parser->is_done()) {
            return true;
        }
        // A chunked body's size is known only at its end: it may use the whole limit.
        const size_t declared = head.content_length ? static_cast<size_t>(*head.content_length)
                                                    : m_server.options.max_body_bytes;
        if (m_server.inflight_bytes + declared > m_server.options.max_inflight_bytes) {
            refuse(error_response(
                503, error_kafka_retriable,
                fmt::format("server busy: {} bytes of request bodies are being handled, the most "
                            "serve holds at once is {} (--max-inflight-bytes): retry later",
                            m_server.inflight_bytes, m_server.options.max_inflight_bytes)));
            return false;
        }
        m_server.inflight_bytes += declared;
        m_reserved_bytes = declared;
        return true;
    }

    // Answers a request refused before its body: a body the client announced is not read, so
    // the connection closes after the answer instead of draining it.
    void refuse(HttpResponse response) {
        if (!m_parser->is_done()) {
            m_keep_alive = false;
        }
        respond(std::move(response));
    }

    void read_body() {
        // Each read may wait read_timeout (slow uploads pass, silent ones do not), and never
        // past the request's deadline.
        m_stream.expires_at(std::min(Clock::now() + m_server.options.read_timeout, m_deadline));
        http::async_read_some(m_stream, m_buffer, *m_parser,
                              [self = shared_from_this()](beast::error_code ec, size_t /*bytes*/) {
                                  self->on_body(ec);
                              });
    }

    void on_body(beast::error_code ec) {
        if (ec) {
            release_body_budget();
            if (read_failed(ec)) {
                return;
            }
        }
        if (!m_parser->is_done()) {
            return read_body();
        }
        m_stream.expires_never();
        on_request();
    }

    void release_body_budget() {
        m_server.inflight_bytes -= m_reserved_bytes;
        m_reserved_bytes = 0;
    }

    // A request is in flight from its headers to its answer, or until the connection drops
    // (a client cut off in the middle of its body is never answered).
    void begin_in_flight() {
        if (!m_in_flight) {
            m_in_flight = true;
            m_server.in_flight.add(1);
        }
    }
    void end_in_flight() {
        if (m_in_flight) {
            m_in_flight = false;
            m_server.in_flight.sub(1);
        }
    }

    bool expects_continue() const {
        const auto& req = m_parser->get();
        const auto found = req.find(http::field::expect);
        return req.version() >= 11 && found != req.end() &&
               beast::iequals(found->value(), "100-continue");
    }

    void send_continue() {
        m_continue_sent = true;
        m_stream.expires_after(m_server.options.write_timeout);
        asio::async_write(m_stream, asio::buffer(continue_response),
                          [self = shared_from_this()](beast::error_code ec, size_t /*bytes*/) {
                              if (ec) {
                                  self->release_body_budget();
                                  return;
                              }
                              self->read_body();
                          });
    }

    // The parsed request as request.hpp sees it: views into the parser's message.
    HttpRequest request_view() const {
        const auto& req = m_parser->get();
        const auto optional_header = [&req](auto field) -> std::optional<std::string_view> {
            const auto found = req.find(field);
            if (found == req.end()) {
                return std::nullopt;
            }
            return to_std(found->value());
        };
        // HEAD is answered like GET, without the body.
        HttpRequest request{m_head ? std::string_view("GET") : to_std(req.method_string()), m_path,
                            optional_header(http::field::content_type),
                            optional_header("x-api-key"), req.body()};
        if (const auto length = m_parser->content_length()) {
            request.content_length = *length;
        }
        request.chunked = m_parser->chunked();
        return request;
    }

    void on_request() {
        m_state = State::answering;
        try {
            answer(*m_route, request_view());
        } catch (const std::exception& error) {
            fail(error);
        }
    }

    void fail(const std::exception& error) {
        obs::log_error("serve: request failed", {{"path", m_path}, {"error", error.what()}});
        respond(
            error_response(500, error_internal, fmt::format("internal error: {}", error.what())));
    }

    void answer(const Route& route, const HttpRequest& request) {
        switch (route.endpoint) {
            case Endpoint::healthz:
                return m_server.check_health([self = shared_from_this()](HttpResponse response) {
                    self->respond(std::move(response));
                });
            case Endpoint::metrics:
                return respond(
                    {200, std::string(obs::prometheus_content_type), m_server.registry.render()});
            case Endpoint::list_topics:
                return answer_off_loop([&gateway = m_server.gateway, &config = m_server.config] {
                    return topics_response(config, gateway.topics());
                });
            case Endpoint::list_streams:
                return answer_off_loop([&gateway = m_server.gateway, &config = m_server.config] {
                    return streams_response(config, gateway.topics());
                });
            case Endpoint::produce_records:
            case Endpoint::put_record:
            case Endpoint::post_event:
                return plan_produce(route, request);
        }
        respond(error_response(500, error_internal, "unhandled endpoint (this is a bug)"));
    }

    // For answers that need a metadata request: computed on a blocking thread, sent from here.
    template <class Work>
    void answer_off_loop(Work work) {
        m_server.off_loop(
            [work = std::move(work)]() -> HttpResponse {
                try {
                    return work();
                } catch (const KafkaUnavailable& error) {
                    return error_response(503, error_kafka_retriable, error.what());
                } catch (const std::exception& error) {
                    return error_response(500, error_internal,
                                          fmt::format("internal error: {}", error.what()));
                }
            },
            [self = shared_from_this()](HttpResponse response) {
                self->respond(std::move(response));
            });
    }

    void plan_produce(const Route& route, const HttpRequest& request) {
        auto planned = m_server.parser.plan(route, request, m_server.config);
        if (auto* rejected = std::get_if<HttpResponse>(&planned)) {
            return respond(std::move(*rejected));
        }
        m_plan = std::move(std::get<ProducePlan>(planned));
        const CachedTopic cached = m_server.gateway.cached_partition_count(m_plan.topic);
        if (cached.state == CachedTopic::State::found) {
            return produce(cached.partitions);
        }
        if (cached.state == CachedTopic::State::missing) {
            return produce(std::nullopt);
        }
        // The cache is stale or misses the topic: ask Kafka without blocking the loop.
        using Lookup = std::variant<std::optional<int32_t>, HttpResponse>;
        m_server.off_loop(
            [&gateway = m_server.gateway, topic = m_plan.topic]() -> Lookup {
                try {
                    return gateway.partition_count(topic);
                } catch (const KafkaUnavailable& error) {
                    return error_response(503, error_kafka_retriable, error.what());
                }
            },
            [self = shared_from_this()](Lookup lookup) {
                if (auto* rejected = std::get_if<HttpResponse>(&lookup)) {
                    return self->respond(std::move(*rejected));
                }
                try {
                    self->produce(std::get<std::optional<int32_t>>(lookup));
                } catch (const std::exception& error) {
                    self->fail(error);
                }
            });
    }

    void produce(std::optional<int32_t> partition_count) {
        if (auto rejected = check_topic(m_plan, partition_count)) {
            return respond(std::move(*rejected));
        }
        // The callback runs on this loop (KafkaGateway::serve_events) once Kafka acknowledged
        // or refused every record.
        m_server.gateway.produce(m_plan,
                                 [self = shared_from_this()](std::vector<RecordResult> results) {
                                     for (const RecordResult& result : results) {
                                         (result.error_code == 0 ? self->m_server.records_delivered
                                                                 : self->m_server.records_failed)
                                             .inc();
                                     }
                                     try {
                                         obs::failpoint(after_produce_before_answer);
                                         self->respond(produce_response(self->m_plan, results));
                                     } catch (const std::exception& error) {
                                         self->fail(error);
                                     }
                                     self->m_plan = {};
                                 });
    }

    // An error the HTTP layer detects before a request is complete: answered, then closed.
    void reject(int status) {
        release_body_budget();
        m_started = Clock::now();
        begin_in_flight();
        m_endpoint_slot = endpoint_count;
        m_keep_alive = false;
        m_head = false;
        respond(library_error_response(status));
    }

    void respond(HttpResponse response) {
        release_body_budget();
        end_in_flight();
        m_server.counted(m_endpoint_slot, response.status);
        m_server.latency[m_endpoint_slot]->observe(
            std::chrono::duration<double>(Clock::now() - m_started).count());

        const bool keep_alive = m_keep_alive && !m_server.stopping;
        m_response = {};
        m_response.version(11);
        m_response.result(static_cast<unsigned>(response.status));
        m_response.set(http::field::content_type, response.content_type);
        m_response.keep_alive(keep_alive);
        if (m_head) {
            m_response.content_length(response.body.size());
        } else {
            m_response.body() = std::move(response.body);
            m_response.prepare_payload();
        }
        m_state = State::writing;
        m_stream.expires_after(m_server.options.write_timeout);
        http::async_write(
            m_stream, m_response,
            [self = shared_from_this(), keep_alive](beast::error_code ec, size_t /*bytes*/) {
                if (ec) {
                    return;  // the client went away; nothing else to do for it
                }
                if (keep_alive) {
                    return self->next_request(/*first=*/false);
                }
                self->linger();
            });
    }

    // Half-closes, then reads and drops whatever the client still sends until it closes too
    // (or linger_timeout passes), so that the answer is not lost to a reset.
    void linger() {
        m_state = State::lingering;
        beast::error_code ignored;
        m_stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        m_stream.expires_after(linger_timeout);
        drain();
    }

    void drain() {
        m_buffer.clear();
        m_stream.async_read_some(m_buffer.prepare(64 * 1024),
                                 [self = shared_from_this()](beast::error_code ec, size_t bytes) {
                                     self->m_drained += bytes;
                                     // A body refused from its headers is not read through:
                                     // past a few reads the connection just closes.
                                     if (!ec && self->m_drained < linger_byte_limit) {
                                         self->drain();
                                     }
                                 });
    }

    Server::Impl& m_server;
    beast::tcp_stream m_stream;
    beast::flat_buffer m_buffer;
    std::optional<http::request_parser<http::string_body>> m_parser;
    http::response<http::string_body> m_response;
    State m_state = State::waiting;
    std::optional<Route> m_route;  // decided from the headers (admit)
    Clock::time_point m_deadline;  // the body must have arrived by then
    size_t m_reserved_bytes = 0;   // this request's share of Impl::inflight_bytes
    size_t m_drained = 0;          // bytes read and dropped while lingering
    bool m_in_flight = false;      // counted in Impl::in_flight
    bool m_continue_sent = false;
    bool m_keep_alive = false;
    bool m_head = false;
    std::string m_path;
    ProducePlan m_plan;
    size_t m_endpoint_slot = endpoint_count;
    Clock::time_point m_started;
};

}  // namespace

void Server::Impl::counted(size_t endpoint_slot, int status) {
    auto [found, inserted] = request_counters.try_emplace({endpoint_slot, status}, nullptr);
    if (inserted) {
        found->second = &registry.counter("pinpipe_serve_requests_total",
                                          "HTTP requests answered, by endpoint and status",
                                          {{"endpoint", std::string(slot_name(endpoint_slot))},
                                           {"code", std::to_string(status)}});
    }
    found->second->inc();
}

void Server::Impl::accept() {
    if (stopping || accepting) {
        return;
    }
    if (connections.size() >= options.max_connections) {
        return;  // resumed by connection_closed: meanwhile clients wait in the listen backlog
    }
    accepting = true;
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
        accepting = false;
        if (stopping || ec == asio::error::operation_aborted) {
            return;
        }
        if (ec) {
            // Out of descriptors or memory, or the client gave up: try again a little later
            // rather than spin.
            obs::log_warning("serve: could not accept a connection", {{"error", ec.message()}});
            accept_retry.expires_after(accept_retry_delay);
            accept_retry.async_wait([this](beast::error_code timer_ec) {
                if (!timer_ec) {
                    accept();
                }
            });
            return;
        }
        // An `error` here escapes the event loop: how tests make run() fail.
        obs::failpoint(obs::Failpoint::serve_after_accept);
        beast::error_code ignored;
        // Answers are small and each client waits for its own: Nagle would only delay them.
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<Connection>(*this, std::move(socket))->start();
        accept();
    });
}

void Server::Impl::check_health(std::function<void(HttpResponse)> answer) {
    if (health_checked_at && Clock::now() - *health_checked_at < health_max_age) {
        return answer(health_answer);
    }
    health_waiters.push_back(std::move(answer));
    if (health_checking) {
        return;  // answered with the check already on its way
    }
    health_checking = true;
    asio::post(health_thread, [this, guard = asio::make_work_guard(io)] {
        const std::string error = gateway.check_reachable(health_timeout);
        HttpResponse response =
            error.empty()
                ? HttpResponse{200, std::string(json_content_type),
                               fmt::format(R"({{"status":"ok","kafka":"{}"}})", gateway.brokers())}
                : error_response(503, error_kafka_retriable, error);
        asio::post(io, [this, response = std::move(response)]() mutable {
            health_checking = false;
            health_checked_at = Clock::now();
            health_answer = std::move(response);
            const auto waiters = std::move(health_waiters);
            health_waiters.clear();
            for (const auto& waiter : waiters) {
                waiter(health_answer);
            }
        });
    });
}

void Server::Impl::watch_kafka() {
    // A read, not async_wait: Asio watches descriptors edge-triggered and async_wait never
    // looks before it waits, so a wake-up written between serve_events() and re-arming would
    // be lost (and with it every answer until the next one; seen with the broker down). A read
    // tries the pipe first, then waits.
    kafka_events.async_read_some(asio::buffer(kafka_wake_bytes),
                                 [this](beast::error_code ec, size_t /*bytes*/) {
                                     if (ec) {
                                         return;  // cancelled: the server has finished
                                     }
                                     gateway.serve_events();
                                     watch_kafka();
                                 });
}

void Server::Impl::connection_closed(Connection* connection) {
    connections.erase(connection);
    connections_open.sub(1);
    if (stopping) {
        finish_if_idle();
    } else {
        accept();
    }
}

void Server::Impl::begin_stop() {
    if (stopping) {
        return;
    }
    stopping = true;
    beast::error_code ignored;
    acceptor.close(ignored);
    accept_retry.cancel();
    // Copied: closing a connection may destroy it, which erases it from the set.
    const std::vector<Connection*> open(connections.begin(), connections.end());
    for (Connection* connection : open) {
        connection->on_server_stop();
    }
    finish_if_idle();
}

void Server::Impl::finish_if_idle() {
    // Every connection is gone, so every request was answered and no delivery report is due:
    // stop watching Kafka, and io.run() returns once the last handlers ran.
    if (connections.empty()) {
        beast::error_code ignored;
        kafka_events.cancel(ignored);
    }
}

Server::Server(ServerOptions options, ServeConfig config, KafkaGateway& gateway,
               obs::MetricsRegistry& registry)
    : m_impl(std::make_unique<Impl>(std::move(options), std::move(config), gateway, registry)) {}

Server::~Server() {
    stop();
}

bool is_ip_address(const std::string& host) {
    beast::error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

bool is_loopback_host(const std::string& host) {
    beast::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    return !ec && address.is_loopback();
}

int Server::bind() {
    Impl& impl = *m_impl;
    const ServerOptions& opts = impl.options;
    const std::string hint = opts.port == 0
                                 ? fmt::format("is {} an address of this machine?", opts.host)
                                 : "is the port in use? choose another with --listen";
    beast::error_code ec;
    const auto address = asio::ip::make_address(opts.host, ec);
    if (ec) {
        throw std::runtime_error(fmt::format("could not listen on {}:{}: {} ({})", opts.host,
                                             opts.port, ec.message(), hint));
    }
    const tcp::endpoint endpoint(address, static_cast<uint16_t>(opts.port));
    impl.acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
        // A restarted server may bind while old connections linger in TIME_WAIT.
        impl.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    }
    if (!ec) {
        impl.acceptor.bind(endpoint, ec);
    }
    if (!ec) {
        impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        beast::error_code ignored;
        impl.acceptor.close(ignored);
        throw std::runtime_error(fmt::format("could not listen on {}:{}: {} ({})", opts.host,
                                             opts.port, ec.message(), hint));
    }
    return impl.acceptor.local_endpoint().port();
}

void Server::run() {
    Impl& impl = *m_impl;
    impl.run_entered.store(true);
    if (!impl.stop_requested.load()) {
        try {
            impl.accept();
            impl.watch_kafka();
            impl.io.run();
        } catch (...) {
            impl.run_finished.store(true);  // stop() must not wait for a loop that is gone
            throw;
        }
    }
    impl.run_finished.store(true);
}

void Server::stop() {
    Impl& impl = *m_impl;
    if (!impl.stop_requested.exchange(true) && impl.run_entered.load()) {
        asio::post(impl.io, [&impl] { impl.begin_stop(); });
    }
    // run() returns at once when it sees stop_requested first; otherwise wait for it.
    while (impl.run_entered.load() && !impl.run_finished.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

}  // namespace pinpipe::serve
