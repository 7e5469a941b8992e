// stream --metrics-listen on the loopback (issue #25): GET /metrics only; other methods are
// refused before a body is read, and no body is buffered past a small limit.
#include "stream/metrics_server.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <string>

namespace pinpipe::stream {
namespace {

class MetricsServerTest : public ::testing::Test {
  protected:
    MetricsServerTest() { registry.counter("pinpipe_test_total", "a counter for the test").inc(); }

    httplib::Client client() const {
        httplib::Client http("127.0.0.1", server.port());
        http.set_read_timeout(10, 0);
        return http;
    }

    obs::MetricsRegistry registry;
    MetricsServer server{registry, util::ListenAddress{"127.0.0.1", 0}};
};

TEST_F(MetricsServerTest, ServesGetMetrics) {
    ASSERT_GT(server.port(), 0);
    const auto answer = client().Get("/metrics");
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 200);
    EXPECT_NE(answer->body.find("pinpipe_test_total 1"), std::string::npos) << answer->body;
}

TEST_F(MetricsServerTest, AnswersOnlyGet) {
    for (const char* method : {"POST", "PUT", "DELETE", "PATCH"}) {
        const auto answer = client().send([&] {
            httplib::Request request;
            request.method = method;
            request.path = "/metrics";
            request.body = "x";
            request.set_header("Content-Type", "text/plain");
            return request;
        }());
        ASSERT_TRUE(answer) << method;
        EXPECT_EQ(answer->status, 405) << method;
    }
}

}  // namespace
}  // namespace pinpipe::stream
