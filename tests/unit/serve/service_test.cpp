// serve's refusal to listen beyond the loopback without a key (issue #25): decided from the
// settings alone, before anything connects.
#include "serve/service.hpp"

#include <gtest/gtest.h>

#include "util/errors.hpp"

namespace pinpipe::serve {
namespace {

ServiceSettings settings_for(std::string host, std::string api_key = "",
                             bool allow_anonymous = false) {
    ServiceSettings settings;
    settings.server.host = std::move(host);
    settings.config.api_key = std::move(api_key);
    settings.allow_anonymous = allow_anonymous;
    return settings;
}

TEST(LoopbackHost, OnlyLoopbackAddressesCount) {
    for (const char* host : {"127.0.0.1", "127.1.2.3", "::1"}) {
        EXPECT_TRUE(is_loopback_host(host)) << host;
    }
    for (const char* host :
         {"0.0.0.0", "::", "10.0.0.5", "192.168.1.1", "fe80::1", "localhost", "", "128.0.0.1"}) {
        EXPECT_FALSE(is_loopback_host(host)) << host;
    }
}

TEST(CheckExposure, AnExposedListenerWithoutAKeyIsAUsageError) {
    for (const char* host : {"0.0.0.0", "::", "10.0.0.5"}) {
        try {
            check_exposure(settings_for(host));
            FAIL() << "expected a UsageError for " << host;
        } catch (const UsageError& error) {
            const std::string_view message = error.what();
            EXPECT_NE(message.find("PINPIPE_API_KEY"), std::string_view::npos) << message;
            EXPECT_NE(message.find("--allow-anonymous"), std::string_view::npos) << message;
            EXPECT_EQ(message.find('\n'), std::string_view::npos) << message;
        }
    }
}

// Drift fixed: localhost was refused as exposed without a key, and with one failed to bind with
// "Invalid argument (is the port in use?...)".
TEST(CheckExposure, AHostNameIsAUsageErrorAskingForAnAddress) {
    for (const char* key : {"", "k"}) {
        try {
            check_exposure(settings_for("localhost", key));
            FAIL() << "expected a UsageError for localhost";
        } catch (const UsageError& error) {
            const std::string_view message = error.what();
            EXPECT_NE(message.find("takes an IP address, not the host name \"localhost\""),
                      std::string_view::npos)
                << message;
            EXPECT_EQ(message.find("without an API key"), std::string_view::npos) << message;
        }
    }
}

TEST(CheckExposure, AKeyALoopbackAddressOrAnExplicitChoiceAreAccepted) {
    EXPECT_NO_THROW(check_exposure(settings_for("0.0.0.0", "k")));
    EXPECT_NO_THROW(check_exposure(settings_for("127.0.0.1")));
    EXPECT_NO_THROW(check_exposure(settings_for("::1")));
    EXPECT_NO_THROW(check_exposure(settings_for("0.0.0.0", "", /*allow_anonymous=*/true)));
}

}  // namespace
}  // namespace pinpipe::serve
