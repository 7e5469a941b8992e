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
