// Property tests of the request parser: random, truncated and mutated bodies never crash it,
// and it either rejects a body with a JSON error (4xx) or plans records whose values are valid
// JSON. Seeded and bounded, so every run is the same run; the mutation run feeds a million
// bodies (the sanitizer build runs it too).
#include <gtest/gtest.h>

#include <simdjson.h>

#include <random>
#include <string>
#include <vector>

#include "serve/request.hpp"

namespace pinpipe::serve {
namespace {

constexpr uint32_t seed = 20240601;
constexpr int iterations_per_case = 4000;
constexpr int mutation_inputs = 1'000'000;

// The bytes mutations insert: JSON's own, invalid UTF-8, NUL and newline. A char array with its
// size, not a C string: a std::string built from the literal would stop at the NUL.
constexpr char alphabet_bytes[] = "{}[]\":,0123456789-.eE+ truefalsnl\\u\xff\xc3\xa9\x00\n";
constexpr std::string_view alphabet(alphabet_bytes, sizeof alphabet_bytes - 1);

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

// True when text is one valid JSON document. simdjson rather than nlohmann: the Debian library
// is not instrumented, which keeps a million inputs within the unit suite's time under ASan.
bool is_json(std::string_view text) {
    static simdjson::dom::parser checker;
    const simdjson::padded_string padded(text);
    return checker.parse(padded).error() == simdjson::SUCCESS;
}

// Checks the property for one body on one route; returns the status (200: planned).
int check_route(RequestParser& parser, const Route& route, std::string_view content_type,
                const std::string& body) {
    const ServeConfig config;
    const HttpRequest request{"POST", "/x", content_type, std::nullopt, body};
    std::variant<ProducePlan, HttpResponse> planned;
    EXPECT_NO_THROW(planned = parser.plan(route, request, config)) << body;
    if (const auto* response = std::get_if<HttpResponse>(&planned)) {
        EXPECT_TRUE(response->status == 422 || response->status == 404) << response->body;
        EXPECT_TRUE(is_json(response->body)) << response->body;
        return response->status;
    }
    const ProducePlan& plan = std::get<ProducePlan>(planned);
    EXPECT_FALSE(plan.records.empty());
    for (const OutgoingRecord& record : plan.records) {
        // Values are re-serialised JSON, except a Kinesis Data string, produced as is.
        if (route.endpoint != Endpoint::put_record) {
            EXPECT_TRUE(is_json(record.value)) << record.value;
        }
    }
    return 200;
}

// The same on every route.
void check_body(RequestParser& parser, const std::string& body) {
    for (const auto& [route, content_type] : routes) {
        check_route(parser, route, content_type, body);
        if (::testing::Test::HasFailure()) {
            return;
        }
    }
}

TEST(RequestParserFuzz, AlphabetHasNulAndNewline) {
    EXPECT_NE(alphabet.find('\0'), std::string_view::npos);
    EXPECT_NE(alphabet.find('\n'), std::string_view::npos);
    EXPECT_EQ(alphabet.back(), '\n');
}

TEST(RequestParserFuzz, TruncatedValidBodiesNeverCrash) {
    RequestParser parser;
    for (const std::string& body : seeds) {
        for (size_t length = 0; length <= body.size(); ++length) {
            check_body(parser, body.substr(0, length));
        }
    }
}

TEST(RequestParserFuzz, AMillionMutatedBodiesNeverCrash) {
    std::mt19937 random(seed);
    RequestParser parser;
    size_t planned = 0;
    size_t with_nul = 0;
    for (int i = 0; i < mutation_inputs; ++i) {
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
        with_nul += body.find('\0') != std::string::npos ? 1 : 0;
        // One route per input, in turn: a million inputs, each parsed once.
        const auto& [route, content_type] = routes[static_cast<size_t>(i) % routes.size()];
        planned += check_route(parser, route, content_type, body) == 200 ? 1 : 0;
        if (HasFailure()) {
            return;
        }
    }
    // The run explored both sides: bodies that still plan, and NUL bytes that must not.
    EXPECT_GT(planned, static_cast<size_t>(mutation_inputs) / 20);
    EXPECT_GT(with_nul, 0U);
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
    // simdjson refuses nesting past its depth limit (1024) instead of recursing into it.
    const std::string deep_array = std::string(100000, '[') + std::string(100000, ']');
    const std::string deep_value =
        R"({"records":[{"value":)" + std::string(5000, '[') + std::string(5000, ']') + "}]}";
    for (const auto& [route, content_type] : routes) {
        EXPECT_EQ(check_route(parser, route, content_type, deep_array), 422);
        EXPECT_EQ(check_route(parser, route, content_type, deep_value), 422);
    }
}

}  // namespace
}  // namespace pinpipe::serve
