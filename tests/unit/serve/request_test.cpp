#include "serve/request.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace pinpipe::serve {
namespace {

constexpr std::string_view rest_type = "application/vnd.kafka.json.v2+json";

HttpRequest make_request(std::string_view method, std::string_view path,
                         std::optional<std::string_view> content_type = std::nullopt,
                         std::string_view body = "",
                         std::optional<std::string_view> api_key = std::nullopt) {
    return HttpRequest{method, path, content_type, api_key, body};
}

Route route_of(const HttpRequest& request, const ServeConfig& config = {}) {
    auto routed = route_request(request, config);
    EXPECT_TRUE(std::holds_alternative<Route>(routed))
        << std::get<HttpResponse>(routed).status << " " << std::get<HttpResponse>(routed).body;
    return std::get<Route>(routed);
}

HttpResponse rejection_of(const HttpRequest& request, const ServeConfig& config = {}) {
    auto routed = route_request(request, config);
    EXPECT_TRUE(std::holds_alternative<HttpResponse>(routed));
    return std::get<HttpResponse>(routed);
}

// Parses and plans; fails the test when the request is rejected.
ProducePlan plan_of(const HttpRequest& request, const ServeConfig& config = {}) {
    RequestParser parser;
    auto planned = parser.plan(route_of(request, config), request, config);
    EXPECT_TRUE(std::holds_alternative<ProducePlan>(planned))
        << std::get<HttpResponse>(planned).body;
    return std::get<ProducePlan>(planned);
}

HttpResponse plan_rejection(const HttpRequest& request, const ServeConfig& config = {}) {
    RequestParser parser;
    auto planned = parser.plan(route_of(request, config), request, config);
    EXPECT_TRUE(std::holds_alternative<HttpResponse>(planned));
    return std::get<HttpResponse>(planned);
}

int error_code_of(const HttpResponse& response) {
    return nlohmann::json::parse(response.body).at("error_code").get<int>();
}

TEST(RouteRequest, KnownEndpoints) {
    EXPECT_EQ(route_of(make_request("POST", "/topics/pinterest.pin")).endpoint,
              Endpoint::produce_records);
    EXPECT_EQ(route_of(make_request("POST", "/topics/pinterest.pin")).target, "pinterest.pin");
    EXPECT_EQ(route_of(make_request("GET", "/topics")).endpoint, Endpoint::list_topics);
    EXPECT_EQ(route_of(make_request("GET", "/topics/")).endpoint, Endpoint::list_topics);
    EXPECT_EQ(route_of(make_request("PUT", "/streams/s-pin/record")).target, "s-pin");
    EXPECT_EQ(route_of(make_request("GET", "/streams")).endpoint, Endpoint::list_streams);
    EXPECT_EQ(route_of(make_request("POST", "/pin/")).target, "pin");
    EXPECT_EQ(route_of(make_request("POST", "/geo")).target, "geo");
    EXPECT_EQ(route_of(make_request("POST", "/user/")).endpoint, Endpoint::post_event);
    EXPECT_EQ(route_of(make_request("GET", "/healthz")).endpoint, Endpoint::healthz);
    EXPECT_EQ(route_of(make_request("HEAD", "/metrics")).endpoint, Endpoint::metrics);
}

TEST(RouteRequest, UnknownPathIs404AndWrongMethodIs405) {
    for (const char* path : {"/", "/nope", "/topics/a/b", "/streams//record", "/streams/x/y/record",
                             "/pins/", "/streams/x"}) {
        const HttpResponse response = rejection_of(make_request("POST", path));
        EXPECT_EQ(response.status, 404) << path;
        EXPECT_EQ(error_code_of(response), 404) << path;
    }
    const HttpResponse wrong = rejection_of(make_request("GET", "/topics/pinterest.pin"));
    EXPECT_EQ(wrong.status, 405);
    EXPECT_NE(wrong.body.find("use POST"), std::string::npos);
    EXPECT_EQ(rejection_of(make_request("POST", "/streams/s-pin/record")).status, 405);
    EXPECT_EQ(rejection_of(make_request("DELETE", "/topics")).status, 405);
    EXPECT_EQ(rejection_of(make_request("GET", "/user/")).status, 405);
    EXPECT_EQ(rejection_of(make_request("POST", "/healthz")).status, 405);
}

TEST(RouteRequest, ApiKeyRequiredExceptForProbes) {
    const ServeConfig config{"pinterest", "s3cret", ""};
    const HttpResponse missing = rejection_of(make_request("GET", "/topics"), config);
    EXPECT_EQ(missing.status, 403);
    EXPECT_EQ(error_code_of(missing), error_forbidden);
    EXPECT_NE(missing.body.find("missing API key"), std::string::npos);
    const auto wrong = make_request("GET", "/topics", std::nullopt, "", "s3cre");
    EXPECT_NE(rejection_of(wrong, config).body.find("invalid API key"), std::string::npos);
    // Unknown paths do not tell an unauthenticated client what exists.
    EXPECT_EQ(rejection_of(make_request("GET", "/nope"), config).status, 403);
    EXPECT_EQ(route_of(make_request("GET", "/topics", std::nullopt, "", "s3cret"), config).endpoint,
              Endpoint::list_topics);
    EXPECT_EQ(route_of(make_request("GET", "/healthz"), config).endpoint, Endpoint::healthz);
    EXPECT_EQ(route_of(make_request("GET", "/metrics"), config).endpoint, Endpoint::metrics);
}

TEST(RestProxyPlan, RecordsWithKeysPartitionsAndIndKeys) {
    const std::string body = R"({"records":[
        {"value":{"index":42,"title":"a"}},
        {"key":"k1","value":{"index":1}},
        {"key":7,"value":[1,2],"partition":2},
        {"key":{"a":1},"value":"text"},
        {"key":null,"value":{"ind":-3}},
        {"value":{"index":"12"}},
        {"value":{"index":1.5}}]})";
    const ProducePlan plan =
        plan_of(make_request("POST", "/topics/pinterest.pin", rest_type, body));
    EXPECT_EQ(plan.topic, "pinterest.pin");
    ASSERT_EQ(plan.records.size(), 7u);
    EXPECT_EQ(plan.records[0].value, R"({"index":42,"title":"a"})");
    EXPECT_EQ(plan.records[0].key, "42");  // no key: the index, as DESIGN §4 keys topics
    EXPECT_TRUE(plan.records[0].has_key);
    EXPECT_EQ(plan.records[1].key, "k1");  // a string key is used as is, not JSON-quoted
    EXPECT_EQ(plan.records[2].key, "7");
    EXPECT_EQ(plan.records[2].partition, 2);
    EXPECT_EQ(plan.records[2].value, "[1,2]");
    EXPECT_EQ(plan.records[3].key, R"({"a":1})");
    EXPECT_EQ(plan.records[3].value, R"("text")");
    EXPECT_EQ(plan.records[4].key, "-3");
    EXPECT_FALSE(plan.records[5].has_key);  // a string index is not an integer: no key
    EXPECT_FALSE(plan.records[6].has_key);
    EXPECT_FALSE(plan.records[0].partition.has_value());
}

TEST(RestProxyPlan, ValuesKeepFieldOrderAndTextAndDropWhitespace) {
    const std::string body =
        "{\"records\":[{\"value\": {\"z\": 1, \"a\": \"caf\xc3\xa9 \\\"q\\\"\", \"m\": 40.7128}}]}";
    const ProducePlan plan = plan_of(
        make_request("POST", "/topics/pinterest.pin", "application/vnd.kafka.v2+json", body));
    EXPECT_EQ(plan.records[0].value, "{\"z\":1,\"a\":\"caf\xc3\xa9 \\\"q\\\"\",\"m\":40.7128}");
}

TEST(RestProxyPlan, AcceptedContentTypes) {
    const std::string body = R"({"records":[{"value":{"index":1}}]})";
    for (const char* type : {"application/vnd.kafka.json.v2+json", "application/vnd.kafka.v2+json",
                             "application/json", "Application/JSON; charset=utf-8"}) {
        EXPECT_EQ(plan_of(make_request("POST", "/topics/pinterest.pin", type, body)).records.size(),
                  1u)
            << type;
    }
    for (std::optional<std::string_view> type :
         {std::optional<std::string_view>("text/plain"),
          std::optional<std::string_view>("application/vnd.kafka.avro.v2+json"),
          std::optional<std::string_view>("application/x-www-form-urlencoded"),
          std::optional<std::string_view>()}) {
        const HttpResponse response =
            plan_rejection(make_request("POST", "/topics/pinterest.pin", type, body));
        EXPECT_EQ(response.status, 415);
        EXPECT_NE(response.body.find("application/vnd.kafka.json.v2+json"), std::string::npos);
    }
}

TEST(RestProxyPlan, MalformedBodiesAre422) {
    for (const char* body :
         {"", "{", "not json", "[]", "{}", R"({"records":{}})", R"({"records":[]})",
          R"({"records":[1]})", R"({"records":[{}]})", R"({"records":[{"value":null}]})",
          R"({"records":[{"value":1,"partition":-1}]})",
          R"({"records":[{"value":1,"partition":"2"}]})",
          R"({"records":[{"value":1,"partition":1.5}]})",
          R"({"records":[{"value":1,"partition":4294967296}]})",
          R"({"records":[{"value":1}]} trailing)", "{\"records\":[{\"value\":\"\xff\"}]}"}) {
        const HttpResponse response =
            plan_rejection(make_request("POST", "/topics/pinterest.pin", rest_type, body));
        EXPECT_EQ(response.status, 422) << body;
        EXPECT_EQ(error_code_of(response), error_malformed_body) << body;
    }
}

TEST(RestProxyPlan, NumbersBeyondSixtyFourBitsAre422SayingWhyNotThatTheJsonIsInvalid) {
    for (const char* body : {R"({"records":[{"value":{"index":1,"big":1e400}}]})",
                             R"({"records":[{"value":{"index":1,"n":-9999999999999999999}}]})"}) {
        const HttpResponse response =
            plan_rejection(make_request("POST", "/topics/pinterest.pin", rest_type, body));
        EXPECT_EQ(response.status, 422) << body;
        EXPECT_EQ(error_code_of(response), error_malformed_body) << body;
        EXPECT_NE(response.body.find("send it as a JSON string"), std::string::npos)
            << response.body;
        EXPECT_EQ(response.body.find("not valid JSON"), std::string::npos) << response.body;
    }
    // simdjson reports a malformed number with the same error: that one is invalid JSON.
    for (const char* body : {R"({"records":[{"value":{"index":01}}]})",
                             R"({"records":[{"value":{"index":1.5,"n":01}}]})"}) {
        const HttpResponse response =
            plan_rejection(make_request("POST", "/topics/pinterest.pin", rest_type, body));
        EXPECT_EQ(response.status, 422) << body;
        EXPECT_NE(response.body.find("not valid JSON"), std::string::npos) << response.body;
    }
}

TEST(RestProxyPlan, InvalidTopicNameIs404) {
    const std::string long_name(250, 'a');
    for (const std::string& topic :
         {std::string("bad name"), std::string(".."), long_name, std::string("a$b")}) {
        const std::string path = "/topics/" + topic;
        const HttpResponse response =
            rejection_of(make_request("POST", path, rest_type, R"({"records":[{"value":1}]})"));
        EXPECT_EQ(response.status, 404) << topic;
        EXPECT_EQ(error_code_of(response), error_topic_not_found);
    }
}

TEST(RestProxyRoute, OnlyThePipelineTopicsAndAllowedOnesAreWritable) {
    ServeConfig config{"acme", "", ""};
    config.extra_topics = {"audit.events"};
    for (const char* topic : {"acme.pin", "acme.geo", "acme.user", "audit.events"}) {
        EXPECT_EQ(route_of(make_request("POST", std::string("/topics/") + topic), config).target,
                  topic);
    }
    for (const char* topic :
         {"pinterest.pin", "acme.pins", "acme.", "acme", "acmex.pin", "xacme.pin", "acme.pin.x",
          "__consumer_offsets", "audit.events2", ".pin"}) {
        const HttpResponse response =
            rejection_of(make_request("POST", std::string("/topics/") + topic), config);
        EXPECT_EQ(response.status, 404) << topic;
        EXPECT_EQ(error_code_of(response), error_topic_not_found) << topic;
        EXPECT_NE(response.body.find("--allow-topic"), std::string::npos) << response.body;
    }
    EXPECT_TRUE(is_pipeline_topic(config, "acme.user"));
    EXPECT_FALSE(is_pipeline_topic(config, "acme.users"));
}

TEST(RestProxyPlan, MoreRecordsThanTheLimitAre413) {
    ServeConfig config;
    config.max_records = 3;
    const auto request = make_request(
        "POST", "/topics/pinterest.pin", rest_type,
        R"({"records":[{"value":{"index":1}},{"value":{"index":2}},{"value":{"index":3}}]})");
    EXPECT_EQ(plan_of(request, config).records.size(), 3U);
    const auto over =
        make_request("POST", "/topics/pinterest.pin", rest_type,
                     R"({"records":[{"value":1},{"value":2},{"value":3},{"value":4}]})");
    const HttpResponse response = plan_rejection(over, config);
    EXPECT_EQ(response.status, 413);
    EXPECT_NE(response.body.find("4 records in one request"), std::string::npos) << response.body;
    EXPECT_NE(response.body.find("--max-records"), std::string::npos) << response.body;
}

// check_head sees what the server has before any body byte: a request with a declared 10 MB
// body and no body at all is refused the same way it would be with its body.
HttpRequest head_of(std::string_view method, std::string_view path,
                    std::optional<std::string_view> content_type,
                    std::optional<std::string_view> api_key,
                    std::optional<uint64_t> content_length = 10'000'000) {
    HttpRequest request{method, path, content_type, api_key, ""};
    request.content_length = content_length;
    return request;
}

HttpResponse head_rejection(const HttpRequest& request, const ServeConfig& config) {
    auto checked = check_head(request, config, /*max_body_bytes=*/size_t{10} << 20);
    EXPECT_TRUE(std::holds_alternative<HttpResponse>(checked));
    return std::holds_alternative<HttpResponse>(checked) ? std::get<HttpResponse>(checked)
                                                         : HttpResponse{};
}

TEST(CheckHead, RefusesFromTheHeadersAlone) {
    const ServeConfig keyed{"pinterest", "s3cret", ""};
    const ServeConfig open{"pinterest", "", ""};
    // No key: 403 before anything else, whatever the route.
    for (const char* path : {"/topics/pinterest.pin", "/pin/", "/nope", "/topics/other"}) {
        const HttpResponse response = head_rejection(head_of("POST", path, rest_type, {}), keyed);
        EXPECT_EQ(response.status, 403) << path;
        EXPECT_EQ(error_code_of(response), error_forbidden) << path;
    }
    EXPECT_EQ(head_rejection(head_of("POST", "/nope", rest_type, "s3cret"), keyed).status, 404);
    EXPECT_EQ(head_rejection(head_of("GET", "/pin/", std::nullopt, {}), open).status, 405);
    const HttpResponse other =
        head_rejection(head_of("POST", "/topics/other", rest_type, {}), open);
    EXPECT_EQ(other.status, 404);
    EXPECT_EQ(error_code_of(other), error_topic_not_found);
    EXPECT_EQ(head_rejection(head_of("POST", "/pin/", "text/plain", {}), open).status, 415);
    EXPECT_EQ(
        head_rejection(head_of("POST", "/topics/pinterest.pin", std::nullopt, {}), open).status,
        415);
    const HttpResponse large = head_rejection(
        head_of("POST", "/topics/pinterest.pin", rest_type, {}, (size_t{10} << 20) + 1), open);
    EXPECT_EQ(large.status, 413);
    EXPECT_NE(large.body.find("--max-body-bytes"), std::string::npos) << large.body;
}

TEST(CheckHead, AdmitsWhatOnlyTheBodyCanDecide) {
    const ServeConfig open{"pinterest", "", ""};
    for (const auto& request :
         {head_of("POST", "/topics/pinterest.pin", rest_type, {}, size_t{10} << 20),
          head_of("POST", "/pin/", "application/json; charset=utf-8", {}, std::nullopt),
          head_of("PUT", "/streams/x-geo/record", "application/json", {}, 5),
          head_of("GET", "/healthz", std::nullopt, {}, std::nullopt),
          head_of("GET", "/topics", std::nullopt, {}, std::nullopt)}) {
        auto checked = check_head(request, open, /*max_body_bytes=*/size_t{10} << 20);
        EXPECT_TRUE(std::holds_alternative<Route>(checked)) << request.path;
    }
}

TEST(KinesisPlan, RoutesStreamNameSuffixToPrefixedTopic) {
    const ServeConfig config{"acme", "", ""};
    const ProducePlan plan = plan_of(
        make_request(
            "PUT", "/streams/streaming-0a1b-geo/record", "application/json",
            R"({"StreamName":"streaming-0a1b-geo","Data":{"ind":9,"country":"X"},"PartitionKey":"partition-1"})"),
        config);
    EXPECT_EQ(plan.topic, "acme.geo");
    ASSERT_EQ(plan.records.size(), 1u);
    EXPECT_EQ(plan.records[0].value, R"({"ind":9,"country":"X"})");
    EXPECT_EQ(plan.records[0].key, "9");  // the ind wins over a constant PartitionKey
}

TEST(KinesisPlan, PartitionKeyWhenNoIndAndStringData) {
    const ProducePlan plan =
        plan_of(make_request("PUT", "/streams/x-user/record", "application/x-amz-json-1.1",
                             R"({"Data":"{\"name\":1}","PartitionKey":"pk"})"));
    EXPECT_EQ(plan.topic, "pinterest.user");
    EXPECT_EQ(plan.records[0].value, R"({"name":1})");
    EXPECT_EQ(plan.records[0].key, "pk");
    const ProducePlan unkeyed = plan_of(make_request("PUT", "/streams/x-user/record",
                                                     "application/json", R"({"Data":{"name":1}})"));
    EXPECT_FALSE(unkeyed.records[0].has_key);
}

TEST(KinesisPlan, Errors) {
    const HttpResponse unknown = plan_rejection(make_request(
        "PUT", "/streams/stream-pins/record", "application/json", R"({"Data":{"ind":1}})"));
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(error_code_of(unknown), error_stream_not_found);
    EXPECT_EQ(plan_rejection(make_request("PUT", "/streams/s-pin/record", "application/json",
                                          R"({"StreamName":"other-pin","Data":{"ind":1}})"))
                  .status,
              422);
    for (const char* body : {R"({})", R"({"Data":1})", R"({"Data":null})", R"([])",
                             R"({"Data":{},"PartitionKey":5})", "{\"Data\":"}) {
        EXPECT_EQ(
            plan_rejection(make_request("PUT", "/streams/s-pin/record", "application/json", body))
                .status,
            422)
            << body;
    }
    EXPECT_EQ(
        plan_rejection(make_request("PUT", "/streams/s-pin/record", "text/plain", "{}")).status,
        415);
}

TEST(PlainEventPlan, OneEventKeyedByIndex) {
    const ProducePlan plan = plan_of(
        make_request("POST", "/pin/", "application/json", R"({ "index": 7528, "title": "t" })"));
    EXPECT_EQ(plan.topic, "pinterest.pin");
    EXPECT_EQ(plan.records[0].value, R"({"index":7528,"title":"t"})");
    EXPECT_EQ(plan.records[0].key, "7528");
    EXPECT_EQ(plan_rejection(make_request("POST", "/pin/", "application/json", "[1]")).status, 422);
    EXPECT_EQ(plan_rejection(make_request("POST", "/pin/", std::nullopt, "{}")).status, 415);
}

TEST(CheckTopic, UnknownTopicAndPartitionOutOfRange) {
    ProducePlan plan{Endpoint::produce_records, "t", {{"", false, "1", std::nullopt}}};
    EXPECT_EQ(error_code_of(*check_topic(plan, std::nullopt)), error_topic_not_found);
    EXPECT_FALSE(check_topic(plan, 3).has_value());
    plan.records.push_back({"", false, "1", 3});
    const auto out_of_range = check_topic(plan, 3);
    ASSERT_TRUE(out_of_range.has_value());
    EXPECT_EQ(out_of_range->status, 404);
    EXPECT_EQ(error_code_of(*out_of_range), error_partition_not_found);
    const ProducePlan stream{
        Endpoint::put_record, "pinterest.pin", {{"", false, "1", std::nullopt}}};
    EXPECT_EQ(error_code_of(*check_topic(stream, std::nullopt)), error_stream_not_found);
}

TEST(ProduceResponse, RestProxyOffsetsWithPerRecordErrors) {
    const ProducePlan plan{Endpoint::produce_records, "t", {{}, {}}};
    const HttpResponse response =
        produce_response(plan, {{2, 17, 0, ""}, {-1, -1, error_kafka_retriable, "timed \"out\""}});
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.content_type, rest_proxy_content_type);
    EXPECT_EQ(response.body,
              R"({"offsets":[{"partition":2,"offset":17,"error_code":null,"error":null},)"
              R"({"partition":null,"offset":null,"error_code":50003,"error":"timed \"out\""}],)"
              R"("key_schema_id":null,"value_schema_id":null})");
}

TEST(ProduceResponse, KinesisAndPlainStyles) {
    const ProducePlan put{Endpoint::put_record, "t", {{"", false, R"({"ind":1})", std::nullopt}}};
    EXPECT_EQ(produce_response(put, {{3, 99, 0, ""}}).body,
              R"({"SequenceNumber":"99","ShardId":"shardId-000000000003"})");
    const HttpResponse failed = produce_response(put, {{-1, -1, error_kafka_retriable, "down"}});
    EXPECT_EQ(failed.status, 503);
    EXPECT_EQ(error_code_of(failed), error_kafka_retriable);
    EXPECT_EQ(produce_response(put, {{-1, -1, error_kafka, "bad"}}).status, 500);
    const ProducePlan event{Endpoint::post_event, "t", {{"", false, R"({"ind":1})", std::nullopt}}};
    const HttpResponse echoed = produce_response(event, {{0, 1, 0, ""}});
    EXPECT_EQ(echoed.status, 200);
    EXPECT_EQ(echoed.body, R"({"ind":1})");
}

TEST(ListResponses, TopicsListOnlyThePipelinesAndStreamsFollowPrefix) {
    ServeConfig config{"acme", "", ""};
    config.extra_topics = {"b\"c"};
    EXPECT_EQ(
        topics_response(config, {"__consumer_offsets", "a", "acme.geo", "acme.pin", "b\"c"}).body,
        R"(["acme.geo","acme.pin","b\"c"])");
    EXPECT_EQ(streams_response({"acme", "", ""}, {"acme.pin", "acme.geo", "acme.user"}).body,
              R"({"StreamNames":["acme-pin","acme-geo","acme-user"],"HasMoreStreams":false})");
}

TEST(ListResponses, StreamsOfferOnlyNamesWhoseTopicExists) {
    EXPECT_EQ(streams_response({"acme", "", ""}, {"acme.geo", "other.pin"}).body,
              R"({"StreamNames":["acme-geo"],"HasMoreStreams":false})");
    EXPECT_EQ(streams_response({"acme", "", ""}, {}).body,
              R"({"StreamNames":[],"HasMoreStreams":false})");
}

TEST(Routing, AnApiGatewayStagePrefixIsStripped) {
    const ServeConfig staged{"pinterest", "", "/prod"};
    EXPECT_EQ(route_of(make_request("POST", "/prod/topics/pinterest.pin"), staged).target,
              "pinterest.pin");
    EXPECT_EQ(route_of(make_request("PUT", "/prod/streams/s-pin/record"), staged).endpoint,
              Endpoint::put_record);
    EXPECT_EQ(route_of(make_request("POST", "/prod/geo/"), staged).endpoint, Endpoint::post_event);
    EXPECT_EQ(route_of(make_request("GET", "/prod/streams"), staged).endpoint,
              Endpoint::list_streams);
    // Paths without the prefix are served too (probes, Prometheus); a lookalike is not a prefix.
    EXPECT_EQ(route_of(make_request("GET", "/metrics"), staged).endpoint, Endpoint::metrics);
    EXPECT_EQ(route_of(make_request("POST", "/topics/pinterest.geo"), staged).target,
              "pinterest.geo");
    EXPECT_EQ(rejection_of(make_request("POST", "/production/topics/t"), staged).status, 404);
}

TEST(BasePath, IsNormalizedOrRejected) {
    EXPECT_EQ(normalize_base_path("/prod"), "/prod");
    EXPECT_EQ(normalize_base_path("prod/"), "/prod");
    EXPECT_EQ(normalize_base_path("/a/b"), "/a/b");
    EXPECT_EQ(normalize_base_path("/"), "");
    EXPECT_EQ(normalize_base_path(""), "");
    for (const char* bad : {"/p?x", "/p#", "/a b", "/a//b", "/%70"}) {
        EXPECT_FALSE(normalize_base_path(bad).has_value()) << bad;
    }
}

TEST(ErrorResponse, EscapesMessageAndSurvivesInvalidUtf8) {
    const HttpResponse response = error_response(404, 404, "no endpoint at /\xff\"x");
    EXPECT_EQ(response.status, 404);
    const auto parsed = nlohmann::json::parse(response.body);
    EXPECT_EQ(parsed.at("error_code"), 404);
    EXPECT_EQ(library_error_response(413).status, 413);
    EXPECT_EQ(error_code_of(library_error_response(414)), 414);
}

TEST(StreamRouting, SuffixDecidesKind) {
    EXPECT_EQ(topic_for_stream("a-pin", "p"), "p.pin");
    EXPECT_EQ(topic_for_stream("streaming-x-user", "p"), "p.user");
    EXPECT_FALSE(topic_for_stream("-pin", "p").has_value());
    EXPECT_FALSE(topic_for_stream("pin", "p").has_value());
    EXPECT_FALSE(topic_for_stream("a-pins", "p").has_value());
}

TEST(DecodePath, CutsQueryAndFragmentAndDecodesEscapes) {
    EXPECT_EQ(decode_path("/topics/pinterest.pin"), "/topics/pinterest.pin");
    EXPECT_EQ(decode_path("/topics/a%2Eb?x=1&y=%41"), "/topics/a.b");
    EXPECT_EQ(decode_path("/pin/#frag"), "/pin/");
    EXPECT_EQ(decode_path("/a%20b+c"), "/a b+c");
    EXPECT_EQ(decode_path("/%zz/%4"), "/%zz/%4");  // malformed escapes are kept as written
    EXPECT_EQ(decode_path("/%"), "/%");
    EXPECT_EQ(decode_path(""), "");
    EXPECT_EQ(decode_path("?only=query"), "");
    EXPECT_EQ(decode_path("/%00x"), std::string("/\0x", 3));
}

}  // namespace
}  // namespace pinpipe::serve
