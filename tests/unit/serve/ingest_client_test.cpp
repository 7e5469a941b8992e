#include "serve/ingest_client.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace pinpipe::serve {
namespace {

TEST(BaseUrl, SplitsOriginAndBasePath) {
    EXPECT_EQ(parse_base_url("http://127.0.0.1:8082")->origin, "http://127.0.0.1:8082");
    EXPECT_EQ(parse_base_url("http://127.0.0.1:8082")->base_path, "");
    const auto staged = parse_base_url("https://abc.execute-api.example.com/test/");
    ASSERT_TRUE(staged.has_value());
    EXPECT_EQ(staged->origin, "https://abc.execute-api.example.com");
    EXPECT_EQ(staged->base_path, "/test");
    for (const char* bad :
         {"", "127.0.0.1:8082", "ftp://h", "http://", "http:///x", "http://user@h", "http://h?x"}) {
        EXPECT_FALSE(parse_base_url(bad).has_value()) << bad;
    }
}

TEST(RestProxyBody, WrapsValuesAsRecords) {
    EXPECT_EQ(rest_proxy_body({R"({"ind":1})"}), R"({"records":[{"value":{"ind":1}}]})");
    EXPECT_EQ(rest_proxy_body({"1", "2"}), R"({"records":[{"value":1},{"value":2}]})");
}

TEST(IngestApi, NamesTheThreeStylesOfTheSeeds) {
    EXPECT_EQ(parse_ingest_api("rest-proxy"), IngestApi::rest_proxy);
    EXPECT_EQ(parse_ingest_api("kinesis"), IngestApi::kinesis);
    EXPECT_EQ(parse_ingest_api("plain"), IngestApi::plain);
    EXPECT_FALSE(parse_ingest_api("Kinesis").has_value());
    EXPECT_TRUE(carries_batches(IngestApi::rest_proxy));
    EXPECT_FALSE(carries_batches(IngestApi::kinesis));
    EXPECT_FALSE(carries_batches(IngestApi::plain));
}

TEST(IngestRequest, BuildsEachStyleUnderTheBasePath) {
    const BaseUrl url{"http://h:1", "/prod"};
    const IngestRequest rest =
        ingest_request(IngestApi::rest_proxy, url, "acme", "geo", {R"({"ind":1})", "2"});
    EXPECT_EQ(rest.method, "POST");
    EXPECT_EQ(rest.path, "/prod/topics/acme.geo");
    EXPECT_EQ(rest.content_type, "application/vnd.kafka.json.v2+json");
    EXPECT_EQ(rest.body, R"({"records":[{"value":{"ind":1}},{"value":2}]})");

    const IngestRequest kinesis =
        ingest_request(IngestApi::kinesis, url, "acme", "user", {R"({"ind":3})"});
    EXPECT_EQ(kinesis.method, "PUT");
    EXPECT_EQ(kinesis.path, "/prod/streams/acme-user/record");
    EXPECT_EQ(kinesis.body, R"({"StreamName":"acme-user","Data":{"ind":3},"PartitionKey":"user"})");

    const IngestRequest plain = ingest_request(IngestApi::plain, url, "acme", "pin", {"{}"});
    EXPECT_EQ(plain.method, "POST");
    EXPECT_EQ(plain.path, "/prod/pin/");
    EXPECT_EQ(plain.content_type, "application/json");
    EXPECT_EQ(plain.body, "{}");

    EXPECT_THROW(ingest_request(IngestApi::plain, url, "acme", "pin", {"1", "2"}),
                 std::invalid_argument);
}

TEST(ProduceAnswer, CountsPerRecordErrors) {
    const auto ok = parse_produce_answer(
        R"({"offsets":[{"partition":0,"offset":1,"error_code":null,"error":null}]})", 1);
    EXPECT_EQ(ok.failed, 0u);
    const auto failed = parse_produce_answer(
        R"({"offsets":[{"partition":0,"offset":1,"error_code":null,"error":null},)"
        R"({"partition":null,"offset":null,"error_code":50003,"error":"timed out"}]})",
        2);
    EXPECT_EQ(failed.failed, 1u);
    EXPECT_EQ(failed.first_error, "timed out");
    EXPECT_THROW(parse_produce_answer(R"({"offsets":[]})", 1), std::runtime_error);
    EXPECT_THROW(parse_produce_answer("not json", 1), std::runtime_error);
}

}  // namespace
}  // namespace pinpipe::serve
