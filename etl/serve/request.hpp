// The pure half of `pinpipe serve` (DESIGN §10): routing, authentication, content-type and body
// validation, the list of Kafka records a request asks for, and every response body. Plain
// functions over values: no sockets, no Kafka, so unit and fuzz tests need no server.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pinpipe::serve {

// REST-proxy error codes (Confluent REST Proxy v2) that clients may branch on.
inline constexpr int error_topic_not_found = 40401;
inline constexpr int error_partition_not_found = 40402;
inline constexpr int error_stream_not_found = 40403;
inline constexpr int error_forbidden = 40301;
inline constexpr int error_malformed_body = 42201;
inline constexpr int error_kafka = 50002;            // Kafka refused the record
inline constexpr int error_kafka_retriable = 50003;  // Kafka unreachable or timed out: retry
inline constexpr int error_internal = 50001;

inline constexpr std::string_view rest_proxy_content_type = "application/vnd.kafka.v2+json";
inline constexpr std::string_view json_content_type = "application/json";

inline constexpr size_t default_max_records = 10000;

struct ServeConfig {
    std::string topic_prefix = "pinterest";
    std::string api_key;  // empty: no key required
    // An API gateway's stage prefix ("/prod", no trailing slash): removed from a path before
    // routing, so that URLs the seeds' scripts build (<invoke URL>/prod/topics/…) work; paths
    // without it are served as well. Empty: none.
    std::string base_path;
    // Topics the REST-proxy routes accept besides <prefix>.pin, .geo and .user (--allow-topic):
    // a key lets a client write into the pipeline, not into every topic of the cluster.
    std::vector<std::string> extra_topics{};
    // Records one request may carry (--max-records): each becomes a librdkafka message and a
    // delivery report on the event loop, so a request's cost is bounded by count, not only bytes.
    size_t max_records = default_max_records;
};

// --base-path as given ("prod", "/prod/", "/a/b") as ServeConfig::base_path wants it ("/prod",
// "/a/b"; "/" and "" give ""); nullopt when it holds characters a path cannot ("?", "#", " ",
// "%", "//").
std::optional<std::string> normalize_base_path(std::string_view text);

// What the I/O layer hands over: views into the HTTP library's request.
struct HttpRequest {
    std::string_view method;
    std::string_view path;  // decoded, without the query string
    std::optional<std::string_view> content_type;
    std::optional<std::string_view> api_key;  // the x-api-key header
    std::string_view body;
    // The declared Content-Length; nullopt when none was sent (no body, or a chunked one).
    std::optional<uint64_t> content_length{};
    bool chunked = false;  // Transfer-Encoding: chunked (the length is known only at the end)
};

struct HttpResponse {
    int status = 200;
    std::string content_type{json_content_type};
    std::string body;
};

enum class Endpoint {
    produce_records,  // POST /topics/{topic}
    list_topics,      // GET /topics
    put_record,       // PUT /streams/{name}/record
    list_streams,     // GET /streams
    post_event,       // POST /pin/, /geo/, /user/
    healthz,          // GET /healthz
    metrics,          // GET /metrics
};
std::string_view endpoint_name(Endpoint endpoint);  // a stable label for metrics and logs

struct Route {
    Endpoint endpoint;
    std::string target;  // the topic (produce_records), stream name (put_record) or kind
};

// {"error_code":N,"message":"…"} with the status; the REST proxy's error body.
HttpResponse error_response(int status, int error_code, std::string_view message);
// The error body for a status the HTTP library produced itself (413, 414, 400, ...).
HttpResponse library_error_response(int status);

// Checks the API key for every endpoint but healthz and metrics (403), then routes by path and
// method (404 for an unknown path, 405 for a known path with another method) and refuses a
// REST-proxy topic outside the pipeline's (404, 40401). HEAD is served like GET by the library.
std::variant<Route, HttpResponse> route_request(const HttpRequest& request,
                                                const ServeConfig& config);

// Everything that can be decided from the request line and headers alone (the body is not
// looked at): route_request, then the content type of a produce call (415) and the declared
// length against max_body_bytes (413). The server calls it before it reads any body byte.
std::variant<Route, HttpResponse> check_head(const HttpRequest& request, const ServeConfig& config,
                                             size_t max_body_bytes);

// True for <prefix>.pin, .geo, .user and the extra topics: what the REST-proxy routes accept.
bool is_pipeline_topic(const ServeConfig& config, std::string_view topic);

// One Kafka record to produce. key empty and has_key false: no key (librdkafka partitions
// randomly); partition nullopt: by key.
struct OutgoingRecord {
    std::string key;
    bool has_key = false;
    std::string value;
    std::optional<int32_t> partition;
};

struct ProducePlan {
    Endpoint endpoint;
    std::string topic;
    std::vector<OutgoingRecord> records;  // post_event and put_record: exactly one
};

// Parses and validates a produce request (415 wrong content type, 422 malformed body) into the
// records to produce. Holds a simdjson parser, so one per thread. Keys (documented in
// docs/operations.md):
//   POST /topics/{t}: the record's "key" (string as is, integer as decimal text, any other
//     JSON as its JSON text); without one, the value's "index"/"ind" when it is an integer
//     (DESIGN §4's key), else no key.
//   PUT /streams/{s}/record: the Data's "index"/"ind", else "PartitionKey".
//   POST /pin/ /geo/ /user/: the event's "index"/"ind", else no key.
class RequestParser {
  public:
    std::variant<ProducePlan, HttpResponse> plan(const Route& route, const HttpRequest& request,
                                                 const ServeConfig& config);

  private:
    // Bodies up to this size reuse m_parser and m_padded; larger ones get a parser of their own
    // that is freed afterwards, so that one 10 MiB request does not pin 10s of MiB per thread.
    static constexpr size_t reused_buffer_limit = size_t{1} << 20;

    simdjson::dom::parser m_parser;
    std::string m_padded;  // body copy with SIMDJSON_PADDING spare bytes
};

// Checks a plan against the topic's partition count (nullopt: the topic does not exist): 404
// with 40401 (or 40403 for a stream) or 40402 for a partition out of range.
std::optional<HttpResponse> check_topic(const ProducePlan& plan,
                                        std::optional<int32_t> partition_count);

// The delivery report of one record, as the I/O layer saw it.
struct RecordResult {
    int32_t partition = -1;
    int64_t offset = -1;
    int error_code = 0;  // 0: delivered; else error_kafka or error_kafka_retriable
    std::string error;
};

// The answer once every record has its delivery report: the REST proxy's offsets list (200,
// per-record errors inside), the Kinesis PutRecord result, or the echoed event; a failed
// single-record call (Kinesis, plain) answers 503 (retriable) or 500 with the error body.
HttpResponse produce_response(const ProducePlan& plan, const std::vector<RecordResult>& results);

// GET /topics: a JSON array of the pipeline's topics that exist (topics: the cluster's), as the
// REST proxy lists topics; the cluster's other topics are not shown.
HttpResponse topics_response(const ServeConfig& config, const std::vector<std::string>& topics);
// GET /streams: the stream names that route to this prefix and whose topic exists in Kafka
// (topics: the cluster's), i.e. the names a PUT /streams/{name}/record succeeds for, Kinesis
// ListStreams style.
HttpResponse streams_response(const ServeConfig& config, const std::vector<std::string>& topics);

// The topic a Kinesis-style stream name routes to: "<anything>-pin" -> "<prefix>.pin", etc.
std::optional<std::string> topic_for_stream(std::string_view stream_name,
                                            std::string_view topic_prefix);
// True for the media types each endpoint accepts (parameters such as charset ignored).
bool is_rest_proxy_json_type(std::string_view content_type);
bool is_json_type(std::string_view content_type);
// The path of a request target as routing sees it: the query string and fragment cut off,
// %XX escapes decoded ("+" stays, as in any path); a malformed escape is kept as written.
std::string decode_path(std::string_view target);
// Kafka's rule for topic names: 1-249 of [a-zA-Z0-9._-], not "." or "..".
bool is_valid_topic_name(std::string_view topic);

}  // namespace pinpipe::serve
