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
    Impl(const BaseUrl& base_url, std::string key)
        : url(base_url), api_key(std::move(key)), client(base_url.origin) {
        client.set_keep_alive(true);
        client.set_connection_timeout(connect_timeout_seconds);
        client.set_read_timeout(read_timeout_seconds);
        client.set_tcp_nodelay(true);
    }

    BaseUrl url;
    std::string api_key;
    httplib::Client client;
};

IngestClient::IngestClient(const BaseUrl& url, std::string api_key)
    : m_impl(std::make_unique<Impl>(url, std::move(api_key))) {
    if (!m_impl->client.is_valid()) {
        throw std::runtime_error(fmt::format("cannot post to {}: unsupported URL", url.origin));
    }
}

IngestClient::~IngestClient() = default;

ProduceOutcome IngestClient::post(const std::string& topic,
                                  const std::vector<std::string>& values) {
    const std::string path = fmt::format("{}/topics/{}", m_impl->url.base_path, topic);
    httplib::Headers headers;
    if (!m_impl->api_key.empty()) {
        headers.emplace("x-api-key", m_impl->api_key);
    }
    const auto result = m_impl->client.Post(path, headers, rest_proxy_body(values),
                                            "application/vnd.kafka.json.v2+json");
    const std::string where = m_impl->url.origin + path;
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
    return parse_produce_answer(result->body, values.size());
}

}  // namespace pinpipe::serve
