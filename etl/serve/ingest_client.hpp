// The client side of the REST proxy produce API, as the seeds' posting script speaks it: what
// `pinpipe emulate --via URL` uses to post events to `pinpipe serve` (or a real REST proxy).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinpipe::serve {

// "http://host:port/base" -> origin "http://host:port" and base path "/base" (no trailing
// slash); nullopt unless the scheme is http or https and a host is given.
struct BaseUrl {
    std::string origin;
    std::string base_path;
};
std::optional<BaseUrl> parse_base_url(std::string_view url);

// The three styles the seeds' posting scripts use (DESIGN §10), all of which serve accepts.
enum class IngestApi {
    rest_proxy,  // POST <base>/topics/<prefix>.<kind>, {"records":[{"value":…},…]}, batches
    kinesis,     // PUT <base>/streams/<prefix>-<kind>/record, {"StreamName","Data","PartitionKey"}
    plain,       // POST <base>/<kind>/ with the bare event (FastAPI style)
};
// "rest-proxy", "kinesis", "plain"; nullopt otherwise.
std::optional<IngestApi> parse_ingest_api(std::string_view name);
// Whether one request may carry several records (only the REST proxy's may).
bool carries_batches(IngestApi api);

// One HTTP request of a style, for values (JSON texts) of one kind; kinesis and plain take
// exactly one value.
struct IngestRequest {
    std::string method;
    std::string path;  // base path included
    std::string content_type;
    std::string body;
};
IngestRequest ingest_request(IngestApi api, const BaseUrl& url, const std::string& topic_prefix,
                             std::string_view kind, const std::vector<std::string>& values);

// {"records":[{"value":V1},{"value":V2},...]} from JSON texts, keys left to the server.
std::string rest_proxy_body(const std::vector<std::string>& values);

// How many records of a REST proxy answer carry an error, and the first error; throws
// std::runtime_error when the body is not an offsets answer for `expected` records.
struct ProduceOutcome {
    size_t failed = 0;
    std::string first_error;
};
ProduceOutcome parse_produce_answer(std::string_view body, size_t expected);

// Posts JSON values of one kind in one of the styles over one keep-alive connection (a
// request per value unless the style carries batches) and returns once the server
// acknowledged them; throws std::runtime_error naming the URL and the server's message on a
// transport failure or a non-200 answer.
class IngestClient {
  public:
    IngestClient(const BaseUrl& url, std::string api_key, IngestApi api, std::string topic_prefix);
    ~IngestClient();
    IngestClient(const IngestClient&) = delete;
    IngestClient& operator=(const IngestClient&) = delete;

    // kind: "pin", "geo" or "user".
    ProduceOutcome post(std::string_view kind, const std::vector<std::string>& values);
    // HTTP requests sent so far.
    uint64_t requests() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace pinpipe::serve
