#include "util/listen_address.hpp"

#include <gtest/gtest.h>

#include "util/errors.hpp"

namespace pinpipe::util {
namespace {

TEST(ListenAddress, ParsesHostPortAndBracketedIpv6) {
    EXPECT_EQ(parse_listen_address("127.0.0.1:8082")->host, "127.0.0.1");
    EXPECT_EQ(parse_listen_address("127.0.0.1:8082")->port, 8082);
    EXPECT_EQ(parse_listen_address("0.0.0.0:0")->port, 0);
    EXPECT_EQ(parse_listen_address("[::1]:65535")->host, "::1");
    EXPECT_EQ(parse_listen_address("[::1]:65535")->port, 65535);
    EXPECT_EQ(parse_listen_address("localhost:80")->host, "localhost");
}

TEST(ListenAddress, RejectsWhatIsNotHostColonPort) {
    for (const char* bad : {"", "8082", ":8082", "host:", "host:65536", "host:-1", "host:80x",
                            "::1:80", "[]:80", "[::1:80"}) {
        EXPECT_FALSE(parse_listen_address(bad).has_value()) << bad;
        EXPECT_THROW(listen_address_option("--listen", bad), UsageError) << bad;
    }
}

TEST(ListenAddress, OptionErrorNamesTheOptionAndTheValue) {
    try {
        listen_address_option("--metrics-listen", "9464");
        FAIL() << "expected a UsageError";
    } catch (const UsageError& error) {
        EXPECT_NE(std::string(error.what()).find("--metrics-listen \"9464\""), std::string::npos)
            << error.what();
    }
}

}  // namespace
}  // namespace pinpipe::util
