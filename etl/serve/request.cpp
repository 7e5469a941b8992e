#include "serve/request.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "events/validation.hpp"
#include "util/hex.hpp"

namespace pinpipe::serve {
namespace {

constexpr std::array<std::string_view, 3> event_kinds = {"pin", "geo", "user"};

// JSON string literal with quotes; invalid UTF-8 (a path can carry any bytes) is replaced, not
// thrown, so that an error response can always be built.
std::string json_string(std::string_view text) {
    return nlohmann::json(std::string(text))
        .dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

std::string lower_media_type(std::string_view content_type) {
    const size_t semicolon = content_type.find(';');
    std::string_view type = content_type.substr(0, semicolon);
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) {
        type.remove_prefix(1);
    }
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) {
        type.remove_suffix(1);
    }
    std::string lowered(type);
    std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lowered;
}

// Constant-time comparison so that response timing does not reveal how much of a key matched.
bool keys_equal(std::string_view given, std::string_view expected) {
    unsigned char diff = given.size() == expected.size() ? 0 : 1;
    for (size_t i = 0; i < expected.size(); ++i) {
        const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
        diff |= static_cast<unsigned char>(g ^ static_cast<unsigned char>(expected[i]));
    }
    return diff == 0;
}

// 415 unless the content type is one the endpoint accepts.
std::optional<HttpResponse> check_content_type(const Route& route,
                                               std::optional<std::string_view> content_type) {
    const bool rest_proxy = route.endpoint == Endpoint::produce_records;
    if (content_type &&
        (rest_proxy ? is_rest_proxy_json_type(*content_type) : is_json_type(*content_type))) {
        return std::nullopt;
    }
    const std::string given = content_type ? fmt::format("\"{}\"", *content_type) : "none";
    return error_response(
        415, 415,
        fmt::format("unsupported Content-Type {} (send {})", given,
                    rest_proxy ? "application/vnd.kafka.json.v2+json" : "application/json"));
}

HttpResponse malformed(std::string_view message) {
    return error_response(422, error_malformed_body, message);
}

HttpResponse not_found(std::string_view path) {
    return error_response(
        404, 404,
        fmt::format("no endpoint at {} (try POST /topics/{{topic}}, PUT /streams/{{name}}/record, "
                    "POST /pin/, /geo/ or /user/, GET /topics, /streams, /healthz or /metrics)",
                    path));
}

HttpResponse method_not_allowed(std::string_view method, std::string_view path,
                                std::string_view allowed) {
    return error_response(
        405, 405, fmt::format("method {} is not allowed on {} (use {})", method, path, allowed));
}

// DESIGN §4's key: the event's "index" (pins) or "ind" (geo, user) as decimal text, when it is
// an integer that fits in 64 bits.
std::optional<std::string> ind_key(simdjson::dom::element event) {
    if (!event.is_object()) {
        return std::nullopt;
    }
    for (const char* field : {"index", "ind"}) {
        int64_t ind = 0;
        if (event[field].get_int64().get(ind) == simdjson::SUCCESS) {
            return std::to_string(ind);
        }
    }
    return std::nullopt;
}

// The REST proxy's "key": a string as is (our topics are keyed by ind as decimal text, and a
// quoted key would not match), an integer as decimal text, anything else as its JSON text.
std::string key_text(simdjson::dom::element key) {
    std::string_view text;
    if (key.get_string().get(text) == simdjson::SUCCESS) {
        return std::string(text);
    }
    int64_t number = 0;
    if (key.get_int64().get(number) == simdjson::SUCCESS) {
        return std::to_string(number);
    }
    return simdjson::minify(key);
}

std::string_view strip_trailing_slash(std::string_view path) {
    if (path.size() > 1 && path.back() == '/') {
        path.remove_suffix(1);
    }
    return path;
}

// Whether body is valid JSON but for numbers simdjson cannot hold (beyond a double or 64 bits):
// it parses with them narrowed. simdjson reports malformed numbers (01, 1.) with the same error.
bool has_only_wide_numbers(std::string_view body) {
    const std::optional<std::string> narrowed = events::narrow_wide_numbers(body);
    if (!narrowed) {
        return false;
    }
    simdjson::dom::parser parser;
    simdjson::dom::element ignored;
    return parser.parse(simdjson::padded_string(*narrowed)).get(ignored) == simdjson::SUCCESS;
}

std::string describe_json_error(simdjson::error_code error, std::string_view body) {
    if ((error == simdjson::NUMBER_ERROR || error == simdjson::NUMBER_OUT_OF_RANGE) &&
        has_only_wide_numbers(body)) {
        // Valid JSON that serve re-encodes through a double or a 64-bit integer and so cannot
        // forward exactly; load takes such a message from Kafka as it is (jsonb numeric).
        return fmt::format(
            "the body has a number beyond a 64-bit integer or a double ({}), which "
            "serve cannot forward exactly: send it as a JSON string, or produce "
            "the message to Kafka directly",
            simdjson::error_message(error));
    }
    return fmt::format("the body is not valid JSON: {}", simdjson::error_message(error));
}

std::variant<ProducePlan, HttpResponse> plan_records(const Route& route,
                                                     simdjson::dom::element root,
                                                     size_t max_records);
std::variant<ProducePlan, HttpResponse> plan_put_record(const Route& route,
                                                        simdjson::dom::element root,
                                                        std::string_view topic_prefix);
std::variant<ProducePlan, HttpResponse> plan_event(const Route& route, simdjson::dom::element root,
                                                   std::string_view topic_prefix);

}  // namespace

std::string_view endpoint_name(Endpoint endpoint) {
    switch (endpoint) {
        case Endpoint::produce_records:
            return "produce_records";
        case Endpoint::list_topics:
            return "list_topics";
        case Endpoint::put_record:
            return "put_record";
        case Endpoint::list_streams:
            return "list_streams";
        case Endpoint::post_event:
            return "post_event";
        case Endpoint::healthz:
            return "healthz";
        case Endpoint::metrics:
            return "metrics";
    }
    return "unknown";
}

HttpResponse error_response(int status, int error_code, std::string_view message) {
    return {status, std::string(json_content_type),
            fmt::format(R"({{"error_code":{},"message":{}}})", error_code, json_string(message))};
}

HttpResponse library_error_response(int status) {
    switch (status) {
        case 413:
            return error_response(413, 413,
                                  "request body too large (send fewer records per request, or "
                                  "raise serve --max-body-bytes)");
        case 414:
            return error_response(414, 414, "request URL too long");
        case 431:
            return error_response(431, 431, "request headers too large");
        case 400:
            return error_response(400, 400, "malformed HTTP request");
        default:
            return error_response(status, status, fmt::format("HTTP error {}", status));
    }
}

std::string decode_path(std::string_view target) {
    target = target.substr(0, target.find_first_of("?#"));
    std::string path;
    path.reserve(target.size());
    for (size_t i = 0; i < target.size(); ++i) {
        if (target[i] == '%' && i + 2 < target.size() &&
            util::hex_digit_value(target[i + 1]) >= 0 &&
            util::hex_digit_value(target[i + 2]) >= 0) {
            path.push_back(static_cast<char>(util::hex_digit_value(target[i + 1]) * 16 +
                                             util::hex_digit_value(target[i + 2])));
            i += 2;
        } else {
            path.push_back(target[i]);
        }
    }
    return path;
}

bool is_rest_proxy_json_type(std::string_view content_type) {
    const std::string type = lower_media_type(content_type);
    return type == "application/vnd.kafka.json.v2+json" ||
           type == "application/vnd.kafka.v2+json" || type == "application/json";
}

bool is_json_type(std::string_view content_type) {
    const std::string type = lower_media_type(content_type);
    return type == "application/json" || type == "application/x-amz-json-1.1" ||
           type == "application/x-amz-json-1.0";
}

bool is_valid_topic_name(std::string_view topic) {
    if (topic.empty() || topic.size() > 249 || topic == "." || topic == "..") {
        return false;
    }
    return std::all_of(topic.begin(), topic.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    });
}

std::optional<std::string> topic_for_stream(std::string_view stream_name,
                                            std::string_view topic_prefix) {
    for (const std::string_view kind : event_kinds) {
        const std::string suffix = fmt::format("-{}", kind);
        if (stream_name.size() > suffix.size() && stream_name.ends_with(suffix)) {
            return fmt::format("{}.{}", topic_prefix, kind);
        }
    }
    return std::nullopt;
}

std::optional<std::string> normalize_base_path(std::string_view text) {
    if (text.find_first_of("?# %") != std::string_view::npos ||
        text.find("//") != std::string_view::npos) {
        return std::nullopt;
    }
    std::string path(text);
    while (!path.empty() && path.back() == '/') {
        path.pop_back();
    }
    if (!path.empty() && path.front() != '/') {
        path.insert(0, "/");
    }
    return path;
}

std::variant<Route, HttpResponse> route_request(const HttpRequest& request,
                                                const ServeConfig& config) {
    std::string_view path = strip_trailing_slash(request.path);
    if (!config.base_path.empty() && path.starts_with(config.base_path) &&
        (path.size() == config.base_path.size() || path[config.base_path.size()] == '/')) {
        path.remove_prefix(config.base_path.size());
    }
    const std::string_view method = request.method == "HEAD" ? "GET" : request.method;

    // Probes stay open: an orchestrator's health check and Prometheus carry no API key.
    if (path == "/healthz" || path == "/metrics") {
        if (method != "GET") {
            return method_not_allowed(request.method, path, "GET");
        }
        return Route{path == "/healthz" ? Endpoint::healthz : Endpoint::metrics, ""};
    }
    if (!config.api_key.empty() &&
        !(request.api_key && keys_equal(*request.api_key, config.api_key))) {
        return error_response(403, error_forbidden,
                              request.api_key
                                  ? "invalid API key in the x-api-key header"
                                  : "missing API key (send it in the x-api-key header)");
    }

    if (path == "/topics") {
        if (method != "GET") {
            return method_not_allowed(request.method, path, "GET");
        }
        return Route{Endpoint::list_topics, ""};
    }
    if (path.starts_with("/topics/")) {
        const std::string_view topic = path.substr(std::string_view("/topics/").size());
        if (topic.find('/') != std::string_view::npos) {
            return not_found(request.path);
        }
        if (method != "POST") {
            return method_not_allowed(request.method, path, "POST");
        }
        if (!is_pipeline_topic(config, topic)) {
            return error_response(
                404, error_topic_not_found,
                fmt::format("topic {} not found (serve accepts {}.pin, {}.geo and {}.user, and "
                            "topics named with --allow-topic)",
                            json_string(topic), config.topic_prefix, config.topic_prefix,
                            config.topic_prefix));
        }
        return Route{Endpoint::produce_records, std::string(topic)};
    }
    if (path == "/streams") {
        if (method != "GET") {
            return method_not_allowed(request.method, path, "GET");
        }
        return Route{Endpoint::list_streams, ""};
    }
    if (path.starts_with("/streams/") && path.ends_with("/record")) {
        const std::string_view prefix = "/streams/";
        const std::string_view suffix = "/record";
        if (path.size() <= prefix.size() + suffix.size()) {
            return not_found(request.path);
        }
        const std::string_view name =
            path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
        if (name.find('/') != std::string_view::npos) {
            return not_found(request.path);
        }
        if (method != "PUT") {
            return method_not_allowed(request.method, path, "PUT");
        }
        return Route{Endpoint::put_record, std::string(name)};
    }
    for (const std::string_view kind : event_kinds) {
        if (path.size() == kind.size() + 1 && path[0] == '/' && path.substr(1) == kind) {
            if (method != "POST") {
                return method_not_allowed(request.method, path, "POST");
            }
            return Route{Endpoint::post_event, std::string(kind)};
        }
    }
    return not_found(request.path);
}

bool is_pipeline_topic(const ServeConfig& config, std::string_view topic) {
    for (const std::string_view kind : event_kinds) {
        if (topic.size() == config.topic_prefix.size() + 1 + kind.size() &&
            topic.starts_with(config.topic_prefix) && topic[config.topic_prefix.size()] == '.' &&
            topic.ends_with(kind)) {
            return true;
        }
    }
    return std::find(config.extra_topics.begin(), config.extra_topics.end(), topic) !=
           config.extra_topics.end();
}

std::variant<Route, HttpResponse> check_head(const HttpRequest& request, const ServeConfig& config,
                                             size_t max_body_bytes) {
    auto routed = route_request(request, config);
    const Route* route = std::get_if<Route>(&routed);
    if (route == nullptr) {
        return routed;
    }
    const bool takes_body = route->endpoint == Endpoint::produce_records ||
                            route->endpoint == Endpoint::put_record ||
                            route->endpoint == Endpoint::post_event;
    if (!takes_body) {
        return routed;
    }
    if (auto rejected = check_content_type(*route, request.content_type)) {
        return std::move(*rejected);
    }
    if (request.content_length && *request.content_length > max_body_bytes) {
        return error_response(
            413, 413,
            fmt::format("request body of {} bytes is larger than serve accepts ({} bytes, "
                        "--max-body-bytes): send fewer records per request",
                        *request.content_length, max_body_bytes));
    }
    return routed;
}

std::variant<ProducePlan, HttpResponse> RequestParser::plan(const Route& route,
                                                            const HttpRequest& request,
                                                            const ServeConfig& config) {
    if (auto rejected = check_content_type(route, request.content_type)) {
        return std::move(*rejected);
    }
    if (route.endpoint == Endpoint::produce_records && !is_valid_topic_name(route.target)) {
        return error_response(404, error_topic_not_found,
                              fmt::format("topic {} not found (not a valid Kafka topic name)",
                                          json_string(route.target)));
    }

    // simdjson reads up to SIMDJSON_PADDING bytes past the input: parse from our own copy.
    const bool reuse = request.body.size() <= reused_buffer_limit;
    std::optional<simdjson::dom::parser> own_parser;
    std::string own_padded;
    simdjson::dom::parser& parser = reuse ? m_parser : own_parser.emplace();
    std::string& padded = reuse ? m_padded : own_padded;
    padded.reserve(request.body.size() + simdjson::SIMDJSON_PADDING);
    padded.assign(request.body);
    simdjson::dom::element root;
    const simdjson::error_code error =
        parser.parse(padded.data(), padded.size(), /*realloc_if_needed=*/false).get(root);
    if (error != simdjson::SUCCESS) {
        return malformed(describe_json_error(error, request.body));
    }
    switch (route.endpoint) {
        case Endpoint::produce_records:
            return plan_records(route, root, config.max_records);
        case Endpoint::put_record:
            return plan_put_record(route, root, config.topic_prefix);
        case Endpoint::post_event:
            return plan_event(route, root, config.topic_prefix);
        default:
            return error_response(500, error_internal,
                                  fmt::format("endpoint {} takes no body (this is a bug)",
                                              endpoint_name(route.endpoint)));
    }
}

namespace {

std::variant<ProducePlan, HttpResponse> plan_records(const Route& route,
                                                     simdjson::dom::element root,
                                                     size_t max_records) {
    simdjson::dom::object body;
    if (root.get_object().get(body) != simdjson::SUCCESS) {
        return malformed(R"(the body must be a JSON object like {"records":[{"value":{...}}]})");
    }
    simdjson::dom::array records;
    if (body["records"].get_array().get(records) != simdjson::SUCCESS) {
        return malformed(R"(the body needs a "records" array, like {"records":[{"value":{...}}]})");
    }
    if (records.size() > max_records) {
        return error_response(
            413, 413,
            fmt::format("{} records in one request, more than serve accepts ({}, --max-records): "
                        "send them in several requests",
                        records.size(), max_records));
    }
    ProducePlan plan{route.endpoint, route.target, {}};
    plan.records.reserve(records.size());
    size_t index = 0;
    for (const simdjson::dom::element record : records) {
        simdjson::dom::object fields;
        if (record.get_object().get(fields) != simdjson::SUCCESS) {
            return malformed(fmt::format("record {} is not a JSON object", index));
        }
        simdjson::dom::element value;
        if (fields["value"].get(value) != simdjson::SUCCESS || value.is_null()) {
            // Our topics carry events; a null value would only end up as a dead letter.
            return malformed(fmt::format("record {} has no \"value\" (or a null one)", index));
        }
        OutgoingRecord out;
        out.value = simdjson::minify(value);
        simdjson::dom::element key;
        if (fields["key"].get(key) == simdjson::SUCCESS && !key.is_null()) {
            out.key = key_text(key);
            out.has_key = true;
        } else if (auto ind = ind_key(value)) {
            out.key = std::move(*ind);
            out.has_key = true;
        }
        simdjson::dom::element partition;
        if (fields["partition"].get(partition) == simdjson::SUCCESS && !partition.is_null()) {
            int64_t number = -1;
            if (partition.get_int64().get(number) != simdjson::SUCCESS || number < 0 ||
                number > INT32_MAX) {
                return malformed(fmt::format(
                    "record {} has an invalid \"partition\" (a non-negative integer)", index));
            }
            out.partition = static_cast<int32_t>(number);
        }
        plan.records.push_back(std::move(out));
        ++index;
    }
    if (plan.records.empty()) {
        return malformed(R"("records" is empty: send at least one record)");
    }
    return plan;
}

std::variant<ProducePlan, HttpResponse> plan_put_record(const Route& route,
                                                        simdjson::dom::element root,
                                                        std::string_view topic_prefix) {
    const std::optional<std::string> topic = topic_for_stream(route.target, topic_prefix);
    if (!topic) {
        return error_response(
            404, error_stream_not_found,
            fmt::format("stream {} not found (stream names end in -pin, -geo or -user)",
                        json_string(route.target)));
    }
    simdjson::dom::object body;
    if (root.get_object().get(body) != simdjson::SUCCESS) {
        return malformed(
            R"(the body must be a JSON object like {"StreamName":…,"Data":{…},"PartitionKey":…})");
    }
    std::string_view stream_name;
    simdjson::dom::element name_field;
    if (body["StreamName"].get(name_field) == simdjson::SUCCESS && !name_field.is_null()) {
        if (name_field.get_string().get(stream_name) != simdjson::SUCCESS ||
            stream_name != route.target) {
            return malformed(
                fmt::format("\"StreamName\" in the body does not match the stream "
                            "{} in the URL",
                            json_string(route.target)));
        }
    }
    simdjson::dom::element data;
    if (body["Data"].get(data) != simdjson::SUCCESS) {
        return malformed(R"(the body needs a "Data" field holding the event object)");
    }
    OutgoingRecord out;
    std::string_view data_text;
    if (data.is_object()) {
        out.value = simdjson::minify(data);
    } else if (data.get_string().get(data_text) == simdjson::SUCCESS) {
        // Pre-serialised data is produced as is (not base64-decoded, unlike AWS Kinesis).
        out.value = std::string(data_text);
    } else {
        return malformed(R"("Data" must be a JSON object (or a string holding one))");
    }
    std::string_view partition_key;
    simdjson::dom::element key_field;
    if (body["PartitionKey"].get(key_field) == simdjson::SUCCESS && !key_field.is_null() &&
        key_field.get_string().get(partition_key) != simdjson::SUCCESS) {
        return malformed(R"("PartitionKey" must be a string)");
    }
    // The ind first: the seeds' script sends one constant PartitionKey, which would pile every
    // record onto one partition and break DESIGN §4's key = ind.
    if (auto ind = ind_key(data)) {
        out.key = std::move(*ind);
        out.has_key = true;
    } else if (!partition_key.empty()) {
        out.key = std::string(partition_key);
        out.has_key = true;
    }
    ProducePlan plan{route.endpoint, *topic, {}};
    plan.records.push_back(std::move(out));
    return plan;
}

std::variant<ProducePlan, HttpResponse> plan_event(const Route& route, simdjson::dom::element root,
                                                   std::string_view topic_prefix) {
    if (!root.is_object()) {
        return malformed(
            fmt::format("the body must be one {} event as a JSON object", route.target));
    }
    OutgoingRecord out;
    out.value = simdjson::minify(root);
    if (auto ind = ind_key(root)) {
        out.key = std::move(*ind);
        out.has_key = true;
    }
    ProducePlan plan{route.endpoint, fmt::format("{}.{}", topic_prefix, route.target), {}};
    plan.records.push_back(std::move(out));
    return plan;
}

}  // namespace

std::optional<HttpResponse> check_topic(const ProducePlan& plan,
                                        std::optional<int32_t> partition_count) {
    if (!partition_count) {
        if (plan.endpoint == Endpoint::produce_records) {
            return error_response(404, error_topic_not_found,
                                  fmt::format("topic {} not found", json_string(plan.topic)));
        }
        return error_response(
            404, error_stream_not_found,
            fmt::format("topic {} does not exist in Kafka (create it with pinpipe topics create, "
                        "or check serve --topic-prefix)",
                        json_string(plan.topic)));
    }
    for (size_t i = 0; i < plan.records.size(); ++i) {
        const auto& partition = plan.records[i].partition;
        if (partition && *partition >= *partition_count) {
            return error_response(
                404, error_partition_not_found,
                fmt::format("partition {} of topic {} not found (record {}; the topic has {})",
                            *partition, json_string(plan.topic), i, *partition_count));
        }
    }
    return std::nullopt;
}

HttpResponse produce_response(const ProducePlan& plan, const std::vector<RecordResult>& results) {
    if (plan.endpoint == Endpoint::produce_records) {
        std::string body = R"({"offsets":[)";
        body.reserve(64 * results.size() + 64);
        bool first = true;
        for (const RecordResult& result : results) {
            if (!first) {
                body += ',';
            }
            first = false;
            if (result.error_code == 0) {
                fmt::format_to(std::back_inserter(body),
                               R"({{"partition":{},"offset":{},"error_code":null,"error":null}})",
                               result.partition, result.offset);
            } else {
                fmt::format_to(std::back_inserter(body),
                               R"({{"partition":null,"offset":null,"error_code":{},"error":{}}})",
                               result.error_code, json_string(result.error));
            }
        }
        body += R"(],"key_schema_id":null,"value_schema_id":null})";
        return {200, std::string(rest_proxy_content_type), std::move(body)};
    }
    if (results.size() != 1 || plan.records.size() != 1) {
        return error_response(
            500, error_internal,
            fmt::format("expected one delivery report, got {} (this is a bug)", results.size()));
    }
    const RecordResult& result = results.front();
    if (result.error_code != 0) {
        return error_response(
            result.error_code == error_kafka_retriable ? 503 : 500, result.error_code,
            fmt::format("could not produce to Kafka topic {}: {}", plan.topic, result.error));
    }
    if (plan.endpoint == Endpoint::put_record) {
        return {200, std::string(json_content_type),
                fmt::format(R"({{"SequenceNumber":"{}","ShardId":"shardId-{:012d}"}})",
                            result.offset, result.partition)};
    }
    return {200, std::string(json_content_type), plan.records.front().value};
}

HttpResponse topics_response(const ServeConfig& config, const std::vector<std::string>& topics) {
    std::string body = "[";
    bool first = true;
    for (const std::string& topic : topics) {
        if (!is_pipeline_topic(config, topic)) {
            continue;
        }
        if (!first) {
            body += ',';
        }
        first = false;
        body += json_string(topic);
    }
    body += ']';
    return {200, std::string(rest_proxy_content_type), std::move(body)};
}

HttpResponse streams_response(const ServeConfig& config, const std::vector<std::string>& topics) {
    std::string names;
    for (const std::string_view kind : event_kinds) {
        const std::string topic = fmt::format("{}.{}", config.topic_prefix, kind);
        if (std::find(topics.begin(), topics.end(), topic) == topics.end()) {
            continue;  // a PUT would answer 404: not a name to offer
        }
        if (!names.empty()) {
            names += ',';
        }
        names += json_string(fmt::format("{}-{}", config.topic_prefix, kind));
    }
    return {200, std::string(json_content_type),
            fmt::format(R"({{"StreamNames":[{}],"HasMoreStreams":false}})", names)};
}

}  // namespace pinpipe::serve
