#include "serve/ingest_client.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace pinpipe::serve {
namespace {

// Posting waits for Kafka's acknowledgement, which the server bounds at about 10 s.
constexpr time_t read_timeout_seconds = 30;
constexpr time_t connect_timeout_seconds = 5;

}  // namespace

std::optional<BaseUrl> parse_base_url(std::string_view url) {
    size_t scheme_end = 0;
    if (url.starts_with("http://")) {
        scheme_end = 7;
    } else if (url.starts_with("https://")) {
        scheme_end = 8;
    } else {
        return std::nullopt;
    }
    const size_t slash = url.find('/', scheme_end);
    const std::string_view authority = url.substr(
        scheme_end, slash == std::string_view::npos ? std::string_view::npos : slash - scheme_end);
    if (authority.empty() || authority.find_first_of("?#@ ") != std::string_view::npos) {
        return std::nullopt;
    }
    std::string base_path(slash == std::string_view::npos ? "" : url.substr(slash));
    while (!base_path.empty() && base_path.back() == '/') {
        base_path.pop_back();
    }
    return BaseUrl{std::string(url.substr(0, scheme_end + authority.size())), base_path};
}

std::optional<IngestApi> parse_ingest_api(std::string_view name) {
    if (name == "rest-proxy") {
        return IngestApi::rest_proxy;
    }
    if (name == "kinesis") {
        return IngestApi::kinesis;
    }
    if (name == "plain") {
        return IngestApi::plain;
    }
    return std::nullopt;
}

bool carries_batches(IngestApi api) {
    return api == IngestApi::rest_proxy;
}

IngestRequest ingest_request(IngestApi api, const BaseUrl& url, const std::string& topic_prefix,
                             std::string_view kind, const std::vector<std::string>& values) {
    if (!carries_batches(api) && values.size() != 1) {
        throw std::invalid_argument("ingest_request: this style takes exactly one value");
    }
    switch (api) {
        case IngestApi::rest_proxy:
            return {"POST", fmt::format("{}/topics/{}.{}", url.base_path, topic_prefix, kind),
                    "application/vnd.kafka.json.v2+json", rest_proxy_body(values)};
        case IngestApi::kinesis: {
            // The seeds send one constant PartitionKey; serve keys by the Data's ind anyway.
            const std::string stream = fmt::format("{}-{}", topic_prefix, kind);
            return {"PUT", fmt::format("{}/streams/{}/record", url.base_path, stream),
                    "application/json",
                    fmt::format(R"({{"StreamName":{},"Data":{},"PartitionKey":{}}})",
                                nlohmann::json(stream).dump(), values[0],
                                nlohmann::json(std::string(kind)).dump())};
        }
        case IngestApi::plain:
            return {"POST", fmt::format("{}/{}/", url.base_path, kind), "application/json",
                    values[0]};
    }
    throw std::invalid_argument("ingest_request: unknown style");
}

std::string rest_proxy_body(const std::vector<std::string>& values) {
    std::string body = R"({"records":[)";
    for (size_t i = 0; i < values.size(); ++i) {
        if (i > 0) {
            body += ',';
        }
        body += R"({"value":)";
        body += values[i];
        body += '}';
    }
    body += "]}";
    return body;
}

ProduceOutcome parse_produce_answer(std::string_view body, size_t expected) {
    const auto answer = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!answer.is_object() || !answer.contains("offsets") || !answer["offsets"].is_array() ||
        answer["offsets"].size() != expected) {
        throw std::runtime_error(
            fmt::format("unexpected answer (not an offsets list for {} records): {}", expected,
                        body.substr(0, 200)));
    }
    ProduceOutcome outcome;
    for (const auto& offset : answer["offsets"]) {
        if (offset.contains("error_code") && !offset["error_code"].is_null()) {
            if (outcome.failed == 0) {
                outcome.first_error =
                    offset.value("error", std::string("error ") + offset["error_code"].dump());
            }
            ++outcome.failed;
        }
    }
    return outcome;
}

struct IngestClient::Impl {
    Impl(const BaseUrl& base_url, std::string key, IngestApi style, std::string prefix)
        : url(base_url),
          api_key(std::move(key)),
          api(style),
          topic_prefix(std::move(prefix)),
          client(base_url.origin) {
        client.set_keep_alive(true);
        client.set_connection_timeout(connect_timeout_seconds);
        client.set_read_timeout(read_timeout_seconds);
        client.set_tcp_nodelay(true);
    }

    // Sends one request; returns the body of its 200 answer.
    std::string send(const IngestRequest& request) {
        httplib::Headers headers;
        if (!api_key.empty()) {
            headers.emplace("x-api-key", api_key);
        }
        ++requests;
        const auto result =
            request.method == "PUT"
                ? client.Put(request.path, headers, request.body, request.content_type)
                : client.Post(request.path, headers, request.body, request.content_type);
        const std::string where = url.origin + request.path;
        if (!result) {
            throw std::runtime_error(
                fmt::format("could not post to {}: {} (is pinpipe serve running "
                            "there? check --via)",
                            where, httplib::to_string(result.error())));
        }
        if (result->status != 200) {
            throw std::runtime_error(fmt::format("{} answered HTTP {}: {}", where, result->status,
                                                 result->body.substr(0, 300)));
        }
        return result->body;
    }

    BaseUrl url;
    std::string api_key;
    IngestApi api;
    std::string topic_prefix;
    httplib::Client client;
    uint64_t requests = 0;
};

IngestClient::IngestClient(const BaseUrl& url, std::string api_key, IngestApi api,
                           std::string topic_prefix)
    : m_impl(std::make_unique<Impl>(url, std::move(api_key), api, std::move(topic_prefix))) {
    if (!m_impl->client.is_valid()) {
        throw std::runtime_error(fmt::format("cannot post to {}: unsupported URL", url.origin));
    }
}

IngestClient::~IngestClient() = default;

ProduceOutcome IngestClient::post(std::string_view kind, const std::vector<std::string>& values) {
    if (carries_batches(m_impl->api)) {
        const std::string body = m_impl->send(
            ingest_request(m_impl->api, m_impl->url, m_impl->topic_prefix, kind, values));
        return parse_produce_answer(body, values.size());
    }
    // Kinesis and plain calls carry one record and fail as a whole (503/500), which send()
    // turns into an exception: a 200 means the record was acknowledged.
    for (const std::string& value : values) {
        m_impl->send(ingest_request(m_impl->api, m_impl->url, m_impl->topic_prefix, kind, {value}));
    }
    return {};
}

uint64_t IngestClient::requests() const {
    return m_impl->requests;
}

}  // namespace pinpipe::serve
