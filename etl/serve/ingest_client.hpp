// The client side of the REST proxy produce API, as the seeds' posting script speaks it: what
// `pinpipe emulate --via URL` uses to post events to `pinpipe serve` (or a real REST proxy).
#pragma once

#include <cstddef>
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

// {"records":[{"value":V1},{"value":V2},...]} from JSON texts, keys left to the server.
std::string rest_proxy_body(const std::vector<std::string>& values);

// How many records of a REST proxy answer carry an error, and the first error; throws
// std::runtime_error when the body is not an offsets answer for `expected` records.
struct ProduceOutcome {
    size_t failed = 0;
    std::string first_error;
};
ProduceOutcome parse_produce_answer(std::string_view body, size_t expected);

// Posts batches of JSON values to <base>/topics/<topic> over one keep-alive connection and
// returns once the server acknowledged them; throws std::runtime_error naming the URL and
// the server's message on a transport failure or a non-200 answer.
class IngestClient {
  public:
    IngestClient(const BaseUrl& url, std::string api_key);
    ~IngestClient();
    IngestClient(const IngestClient&) = delete;
    IngestClient& operator=(const IngestClient&) = delete;

    ProduceOutcome post(const std::string& topic, const std::vector<std::string>& values);

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace pinpipe::serve
