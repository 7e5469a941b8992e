#include "stream/metrics_server.hpp"

#include <gtest/gtest.h>

#include "util/errors.hpp"

namespace pinpipe::stream {
namespace {

TEST(ListenAddress, HostAndPortIncludingBracketedIpv6) {
    const ListenAddress local = parse_listen_address("127.0.0.1:9464");
    EXPECT_EQ(local.host, "127.0.0.1");
    EXPECT_EQ(local.port, 9464);
    const ListenAddress any = parse_listen_address("0.0.0.0:1");
    EXPECT_EQ(any.port, 1);
    const ListenAddress ipv6 = parse_listen_address("[::1]:65535");
    EXPECT_EQ(ipv6.host, "::1");
    EXPECT_EQ(ipv6.port, 65535);
    EXPECT_EQ(parse_listen_address("localhost:80").host, "localhost");
}

TEST(ListenAddress, RejectsWhatIsNotHostColonPort) {
    for (const char* bad : {"", "9464", ":9464", "host:", "host:0", "host:65536", "host:94x",
                            "host:-1", "::1:9464", "[]:80", "[::1:80"}) {
        EXPECT_THROW(parse_listen_address(bad), UsageError) << bad;
    }
}

}  // namespace
}  // namespace pinpipe::stream
