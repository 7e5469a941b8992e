#include "serve/server.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "obs/log.hpp"

namespace pinpipe::serve {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto health_timeout = std::chrono::milliseconds(2000);
constexpr size_t endpoint_count = 7;  // Endpoint's enumerators; plus one slot for "none"
constexpr std::string_view unrouted = "none";

// cpp-httplib's own pool queues accepted connections without bound; this one blocks the accept
// loop once max_waiting connections are queued, so that the kernel's backlog (and the clients'
// connect timeouts) push back instead of our memory.
class BoundedWorkerPool final : public httplib::TaskQueue {
  public:
    BoundedWorkerPool(size_t threads, size_t max_waiting, obs::Gauge& busy, obs::Gauge& waiting)
        : m_max_waiting(max_waiting), m_busy(busy), m_waiting(waiting) {
        for (size_t i = 0; i < threads; ++i) {
            m_threads.emplace_back([this] { work(); });
        }
    }
    ~BoundedWorkerPool() override { shutdown(); }

    void enqueue(std::function<void()> fn) override {
        std::unique_lock lock(m_mutex);
        m_space.wait(lock, [&] { return m_jobs.size() < m_max_waiting || m_shutdown; });
        m_jobs.push_back(std::move(fn));
        m_waiting.set(static_cast<double>(m_jobs.size()));
        m_ready.notify_one();
    }

    void shutdown() override {
        {
            const std::lock_guard lock(m_mutex);
            if (m_shutdown) {
                return;
            }
            m_shutdown = true;
        }
        m_ready.notify_all();
        m_space.notify_all();
        for (std::thread& thread : m_threads) {
            thread.join();
        }
    }

  private:
    void work() {
        while (true) {
            std::function<void()> job;
            {
                std::unique_lock lock(m_mutex);
                m_ready.wait(lock, [&] { return !m_jobs.empty() || m_shutdown; });
                if (m_jobs.empty()) {
                    return;  // shut down and drained: queued connections are still served
                }
                job = std::move(m_jobs.front());
                m_jobs.pop_front();
                m_waiting.set(static_cast<double>(m_jobs.size()));
            }
            m_space.notify_one();
            m_busy.add(1);
            job();  // serves one connection until it closes
            m_busy.sub(1);
        }
    }

    size_t m_max_waiting;
    obs::Gauge& m_busy;
    obs::Gauge& m_waiting;
    std::mutex m_mutex;
    std::condition_variable m_ready;
    std::condition_variable m_space;
    std::deque<std::function<void()>> m_jobs;
    bool m_shutdown = false;
    std::vector<std::thread> m_threads;
};

std::optional<std::string_view> header(const httplib::Request& req, const std::string& name) {
    if (!req.has_header(name)) {
        return std::nullopt;
    }
    // get_header_value returns a copy; views into req.headers stay valid for the request.
    const auto range = req.headers.equal_range(name);
    return std::string_view(range.first->second);
}

size_t endpoint_index(Endpoint endpoint) {
    return static_cast<size_t>(endpoint);
}

}  // namespace

struct Server::Impl {
    Impl(ServerOptions options_, ServeConfig config_, KafkaGateway& gateway_,
         obs::MetricsRegistry& registry_)
        : options(std::move(options_)),
          config(std::move(config_)),
          gateway(gateway_),
          registry(registry_),
          busy_workers(registry.gauge("pinpipe_serve_busy_workers",
                                      "HTTP worker threads serving a connection")),
          waiting_connections(
              registry.gauge("pinpipe_serve_waiting_connections",
                             "accepted connections waiting for a free worker thread")),
          in_flight(registry.gauge("pinpipe_serve_requests_in_flight",
                                   "requests being handled (including waiting for Kafka)")),
          records_delivered(registry.counter("pinpipe_serve_records_total",
                                             "records produced, by delivery outcome",
                                             {{"result", "delivered"}})),
          records_failed(registry.counter("pinpipe_serve_records_total",
                                          "records produced, by delivery outcome",
                                          {{"result", "failed"}})) {
        const auto buckets = obs::exponential_buckets(0.0001, 2, 16);  // 100 µs .. 3.3 s
        for (size_t i = 0; i <= endpoint_count; ++i) {
            const std::string_view name =
                i < endpoint_count ? endpoint_name(static_cast<Endpoint>(i)) : unrouted;
            latency[i] = &registry.histogram("pinpipe_serve_request_duration_seconds",
                                             "time from a parsed request to its answer", buckets,
                                             {{"endpoint", std::string(name)}});
        }
    }

    void handle(const httplib::Request& req, httplib::Response& res);
    HttpResponse answer(const HttpRequest& request, size_t& endpoint_slot);
    HttpResponse produce(const Route& route, const HttpRequest& request);
    HttpResponse health();

    ServerOptions options;
    ServeConfig config;
    KafkaGateway& gateway;
    obs::MetricsRegistry& registry;
    obs::Gauge& busy_workers;
    obs::Gauge& waiting_connections;
    obs::Gauge& in_flight;
    obs::Counter& records_delivered;
    obs::Counter& records_failed;
    std::array<obs::Histogram*, endpoint_count + 1> latency{};
    httplib::Server http;
    std::atomic<bool> stopping{false};
    std::atomic<bool> run_entered{false};
    std::atomic<bool> run_finished{false};
};

HttpResponse Server::Impl::health() {
    const std::string error = gateway.check_reachable(health_timeout);
    if (!error.empty()) {
        return error_response(503, error_kafka_retriable, error);
    }
    return {200, std::string(json_content_type),
            fmt::format(R"({{"status":"ok","kafka":"{}"}})", gateway.brokers())};
}

HttpResponse Server::Impl::produce(const Route& route, const HttpRequest& request) {
    // One parser per worker thread: simdjson parsers are not thread-safe but are reusable.
    thread_local RequestParser parser;
    auto planned = parser.plan(route, request, config);
    if (auto* rejected = std::get_if<HttpResponse>(&planned)) {
        return std::move(*rejected);
    }
    const ProducePlan& plan = std::get<ProducePlan>(planned);
    if (auto rejected = check_topic(plan, gateway.partition_count(plan.topic))) {
        return std::move(*rejected);
    }
    const std::vector<RecordResult> results = gateway.produce(plan);
    for (const RecordResult& result : results) {
        (result.error_code == 0 ? records_delivered : records_failed).inc();
    }
    return produce_response(plan, results);
}

HttpResponse Server::Impl::answer(const HttpRequest& request, size_t& endpoint_slot) {
    auto routed = route_request(request, config);
    if (auto* rejected = std::get_if<HttpResponse>(&routed)) {
        return std::move(*rejected);
    }
    const Route& route = std::get<Route>(routed);
    endpoint_slot = endpoint_index(route.endpoint);
    try {
        switch (route.endpoint) {
            case Endpoint::healthz:
                return health();
            case Endpoint::metrics:
                return {200, std::string(obs::prometheus_content_type), registry.render()};
            case Endpoint::list_topics:
                return topics_response(gateway.topics());
            case Endpoint::list_streams:
                return streams_response(config);
            case Endpoint::produce_records:
            case Endpoint::put_record:
            case Endpoint::post_event:
                return produce(route, request);
        }
    } catch (const KafkaUnavailable& error) {
        return error_response(503, error_kafka_retriable, error.what());
    }
    return error_response(500, error_internal, "unhandled endpoint (this is a bug)");
}

void Server::Impl::handle(const httplib::Request& req, httplib::Response& res) {
    const auto started = Clock::now();
    in_flight.add(1);
    HttpRequest request{req.method, req.path, header(req, "Content-Type"), header(req, "x-api-key"),
                        req.body};
    size_t endpoint_slot = endpoint_count;
    HttpResponse response;
    try {
        response = answer(request, endpoint_slot);
    } catch (const std::exception& error) {
        obs::log_error("serve: request failed",
                       {{"method", req.method}, {"path", req.path}, {"error", error.what()}});
        response =
            error_response(500, error_internal, fmt::format("internal error: {}", error.what()));
    }
    in_flight.sub(1);
    res.status = response.status;
    res.set_content(std::move(response.body), response.content_type.c_str());
    const std::string_view name = endpoint_slot < endpoint_count
                                      ? endpoint_name(static_cast<Endpoint>(endpoint_slot))
                                      : unrouted;
    registry
        .counter("pinpipe_serve_requests_total", "HTTP requests answered, by endpoint and status",
                 {{"endpoint", std::string(name)}, {"code", std::to_string(response.status)}})
        .inc();
    latency[endpoint_slot]->observe(std::chrono::duration<double>(Clock::now() - started).count());
}

Server::Server(ServerOptions options, ServeConfig config, KafkaGateway& gateway,
               obs::MetricsRegistry& registry)
    : m_impl(std::make_unique<Impl>(std::move(options), std::move(config), gateway, registry)) {
    Impl& impl = *m_impl;
    httplib::Server& http = impl.http;
    const ServerOptions& opts = impl.options;
    http.new_task_queue = [&impl] {
        return new BoundedWorkerPool(impl.options.max_connections, impl.options.max_connections,
                                     impl.busy_workers, impl.waiting_connections);
    };
    http.set_payload_max_length(opts.max_body_bytes);  // larger bodies: 413, never read
    http.set_read_timeout(opts.read_timeout);
    http.set_write_timeout(opts.write_timeout);
    http.set_keep_alive_timeout(opts.keep_alive_timeout.count());
    http.set_keep_alive_max_count(opts.keep_alive_max_requests);
    // Answers are small and the client waits for each one: do not let Nagle hold them back.
    http.set_tcp_nodelay(true);

    // "Expect: 100-continue" with a body over the limit: answer 413 before the client sends it.
    http.set_expect_100_continue_handler(
        [max = opts.max_body_bytes](const httplib::Request& req, httplib::Response& res) {
            if (req.get_header_value<uint64_t>("Content-Length") > max) {
                res.status = 413;
                return 413;
            }
            return 100;
        });
    // Every path and method goes to one handler; the pure router decides (404/405 included).
    const auto handler = [&impl](const httplib::Request& req, httplib::Response& res) {
        impl.handle(req, res);
    };
    http.Get(".*", handler);
    http.Post(".*", handler);
    http.Put(".*", handler);
    http.Delete(".*", handler);
    http.Patch(".*", handler);
    http.Options(".*", handler);
    // Errors the library answers itself (413 body too large, 414 URL too long, 400 bad
    // request line...) get the same JSON body as ours; our own error bodies are left alone.
    http.set_error_handler([](const httplib::Request& /*req*/, httplib::Response& res) {
        if (res.body.empty()) {
            const HttpResponse response = library_error_response(res.status);
            res.set_content(response.body, response.content_type.c_str());
        }
    });
    http.set_exception_handler(
        [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
            std::string what = "unknown exception";
            try {
                std::rethrow_exception(ep);
            } catch (const std::exception& error) {
                what = error.what();
            } catch (...) {
            }
            obs::log_error("serve: request failed",
                           {{"method", req.method}, {"path", req.path}, {"error", what}});
            const HttpResponse response =
                error_response(500, error_internal, fmt::format("internal error: {}", what));
            res.status = 500;
            res.set_content(response.body, response.content_type.c_str());
        });
}

Server::~Server() {
    stop();
}

int Server::bind() {
    httplib::Server& http = m_impl->http;
    const ServerOptions& opts = m_impl->options;
    if (opts.port == 0) {
        const int port = http.bind_to_any_port(opts.host);
        if (port <= 0) {
            throw std::runtime_error(
                fmt::format("could not listen on {}:0 (is {} an address of this machine?)",
                            opts.host, opts.host));
        }
        return port;
    }
    if (!http.bind_to_port(opts.host, opts.port)) {
        throw std::runtime_error(fmt::format(
            "could not listen on {}:{} (is the port in use? choose another with --listen)",
            opts.host, opts.port));
    }
    return opts.port;
}

void Server::run() {
    m_impl->run_entered.store(true);
    if (!m_impl->stopping.load()) {
        m_impl->http.listen_after_bind();
    }
    m_impl->run_finished.store(true);
}

void Server::stop() {
    m_impl->stopping.store(true);
    // httplib's stop() is a no-op until its accept loop runs: repeat until run() has returned
    // (run() itself returns at once when it sees stopping first).
    while (m_impl->run_entered.load() && !m_impl->run_finished.load()) {
        m_impl->http.stop();
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

}  // namespace pinpipe::serve
