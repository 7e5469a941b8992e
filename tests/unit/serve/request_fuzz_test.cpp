// Property tests of the request parser: random, truncated and mutated bodies never crash it,
// and it either rejects a body with a JSON error (4xx) or plans records whose values are valid
// JSON. Seeded and bounded, so every run is the same run.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "serve/request.hpp"

namespace pinpipe::serve {
namespace {

constexpr uint32_t seed = 20240601;
constexpr int iterations_per_case = 4000;

const std::vector<std::pair<Route, std::string_view>> routes = {
    {{Endpoint::produce_records, "pinterest.pin"}, "application/vnd.kafka.json.v2+json"},
    {{Endpoint::put_record, "streaming-pin"}, "application/json"},
    {{Endpoint::post_event, "geo"}, "application/json"},
};

const std::vector<std::string> seeds = {
    R"({"records":[{"key":"1","value":{"index":1,"title":"a"},"partition":0},{"value":{"ind":2}}]})",
    R"({"StreamName":"streaming-pin","Data":{"index":3,"tag_list":"a,b"},"PartitionKey":"p"})",
    R"({"ind":4,"timestamp":"2020-01-01 00:00:00","latitude":-5.5,"longitude":1e3,"country":"X"})",
    "{\"records\":[{\"value\":{\"s\":\"caf\xc3\xa9 \\u00e9 \\n\"}}]}",
};

// Checks the property for one body on every route.
void check_body(RequestParser& parser, const std::string& body) {
    const ServeConfig config;
    for (const auto& [route, content_type] : routes) {
        const HttpRequest request{"POST", "/x", content_type, std::nullopt, body};
        std::variant<ProducePlan, HttpResponse> planned;
        ASSERT_NO_THROW(planned = parser.plan(route, request, config)) << body;
        if (const auto* response = std::get_if<HttpResponse>(&planned)) {
            ASSERT_TRUE(response->status == 422 || response->status == 404) << response->body;
            ASSERT_TRUE(nlohmann::json::accept(response->body)) << response->body;
            continue;
        }
        const ProducePlan& plan = std::get<ProducePlan>(planned);
        ASSERT_FALSE(plan.records.empty());
        for (const OutgoingRecord& record : plan.records) {
            // Values are re-serialised JSON, except a Kinesis Data string, produced as is.
            if (route.endpoint != Endpoint::put_record) {
                ASSERT_TRUE(nlohmann::json::accept(record.value)) << record.value;
            }
        }
    }
}

TEST(RequestParserFuzz, TruncatedValidBodiesNeverCrash) {
    RequestParser parser;
    for (const std::string& body : seeds) {
        for (size_t length = 0; length <= body.size(); ++length) {
            check_body(parser, body.substr(0, length));
        }
    }
}

TEST(RequestParserFuzz, MutatedBodiesNeverCrash) {
    std::mt19937 random(seed);
    RequestParser parser;
    const std::string alphabet = "{}[]\":,0123456789-.eE+ truefalsnl\\u\xff\xc3\xa9\x00\n";
    for (int i = 0; i < iterations_per_case; ++i) {
        std::string body = seeds[random() % seeds.size()];
        const int mutations = 1 + static_cast<int>(random() % 4);
        for (int m = 0; m < mutations && !body.empty(); ++m) {
            const size_t at = random() % body.size();
            switch (random() % 3) {
                case 0:
                    body[at] = alphabet[random() % alphabet.size()];
                    break;
                case 1:
                    body.erase(at, 1 + random() % 4);
                    break;
                default:
                    body.insert(at, 1, alphabet[random() % alphabet.size()]);
                    break;
            }
        }
        check_body(parser, body);
    }
}

TEST(RequestParserFuzz, RandomBytesNeverCrash) {
    std::mt19937 random(seed + 1);
    RequestParser parser;
    for (int i = 0; i < iterations_per_case; ++i) {
        std::string body(random() % 200, '\0');
        for (char& c : body) {
            c = static_cast<char>(random() % 256);
        }
        check_body(parser, body);
    }
}

TEST(RequestParserFuzz, DeepNestingIsRejectedNotOverflowed) {
    RequestParser parser;
    check_body(parser, std::string(100000, '[') + std::string(100000, ']'));
    check_body(parser, R"({"records":[{"value":)" + std::string(5000, '[') +
                           std::string(5000, ']') + "}]}");
}

}  // namespace
}  // namespace pinpipe::serve
