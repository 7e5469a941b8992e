#include "kafka/config.hpp"

#include <gtest/gtest.h>

#include "kafka/client.hpp"
#include "util/errors.hpp"

namespace pinpipe::kafka {
namespace {

TEST(KafkaProperties, ParsesClientPropertiesWithCommentsAndSpaces) {
    const Properties parsed = parse_properties(
        "# Confluent Cloud\n"
        "bootstrap.servers = pkc-1.aws.confluent.cloud:9092\n"
        "! another comment style\n"
        "\n"
        "security.protocol=SASL_SSL\r\n"
        "sasl.mechanisms: PLAIN\n"
        "sasl.password=a=b=c\n",
        "client.properties");
    const Properties expected = {{"bootstrap.servers", "pkc-1.aws.confluent.cloud:9092"},
                                 {"security.protocol", "SASL_SSL"},
                                 {"sasl.mechanisms", "PLAIN"},
                                 {"sasl.password", "a=b=c"}};
    EXPECT_EQ(parsed, expected);
}

TEST(KafkaProperties, LineWithoutKeyNamesFileAndLine) {
    try {
        parse_properties("a=1\njust words\n", "client.properties");
        FAIL() << "expected a UsageError";
    } catch (const UsageError& error) {
        EXPECT_STREQ(error.what(),
                     "client.properties:2: expected key=value, got \"just ***\" (value masked; "
                     "separate key and value with =)");
    }
}

TEST(KafkaProperties, AMalformedLineNeverEchoesItsValue) {
    for (const std::string_view text : {"sasl.password secret-1", "sasl.password\tsecret-1",
                                        "secret-1", "=secret-1", "sasl.password  secret-1 x"}) {
        try {
            parse_properties(std::string(text) + "\n", "client.properties");
            FAIL() << "expected a UsageError for " << text;
        } catch (const UsageError& error) {
            EXPECT_EQ(std::string_view(error.what()).find("secret-1"), std::string_view::npos)
                << error.what();
            EXPECT_NE(std::string_view(error.what()).find("client.properties:1"),
                      std::string_view::npos)
                << error.what();
        }
    }
    try {
        parse_override("sasl.password secret-1");
        FAIL() << "expected a UsageError";
    } catch (const UsageError& error) {
        EXPECT_STREQ(error.what(), "-X expects key=value, got \"sasl.password ***\"");
    }
}

TEST(KafkaProperties, OverrideNeedsKeyAndEquals) {
    EXPECT_EQ(parse_override("linger.ms=5"),
              (std::pair<std::string, std::string>{"linger.ms", "5"}));
    EXPECT_EQ(parse_override("client.id="), (std::pair<std::string, std::string>{"client.id", ""}));
    EXPECT_THROW(parse_override("linger.ms"), UsageError);
    EXPECT_THROW(parse_override("=5"), UsageError);
}

TEST(KafkaProperties, PrecedenceIsDefaultsThenFileThenBrokersThenOverrides) {
    ClientSettings settings;
    settings.brokers = "flag:9092";
    settings.properties_file = "f.properties";
    settings.overrides = {"linger.ms=7"};
    const Properties merged = resolve_properties({{"linger.ms", "20"}, {"acks", "all"}}, settings,
                                                 "bootstrap.servers=file:9092\nlinger.ms=10\n");
    const Properties expected = {{"linger.ms", "20"},
                                 {"acks", "all"},
                                 {"bootstrap.servers", "file:9092"},
                                 {"linger.ms", "10"},
                                 {"bootstrap.servers", "flag:9092"},
                                 {"linger.ms", "7"}};
    EXPECT_EQ(merged, expected);
}

TEST(KafkaProperties, NoBrokersAnywhereIsAUsageErrorWithAHint) {
    try {
        resolve_properties({}, ClientSettings{}, "");
        FAIL() << "expected a UsageError";
    } catch (const UsageError& error) {
        EXPECT_NE(std::string(error.what()).find("PINPIPE_BROKERS"), std::string::npos);
    }
}

TEST(KafkaProperties, SecretsAreMaskedWhenPrinted) {
    EXPECT_EQ(printable_value("sasl.password", "hunter2"), "***");
    EXPECT_EQ(printable_value("ssl.key.password", "x"), "***");
    EXPECT_EQ(printable_value("sasl.oauthbearer.client.secret", "x"), "***");
    EXPECT_EQ(printable_value("sasl.username", "alice"), "alice");
}

TEST(KafkaConf, UnknownKeyIsAUsageErrorNamingIt) {
    try {
        make_conf({{"bootstrap.servers", "x:1"}, {"no.such.property", "1"}});
        FAIL() << "expected a UsageError";
    } catch (const UsageError& error) {
        EXPECT_NE(std::string(error.what()).find("no.such.property"), std::string::npos);
    }
}

TEST(KafkaConf, BadValueMasksSecrets) {
    try {
        make_conf({{"sasl.password", "hunter2"}, {"linger.ms", "not-a-number"}});
        FAIL() << "expected a UsageError";
    } catch (const UsageError& error) {
        EXPECT_NE(std::string(error.what()).find("linger.ms"), std::string::npos);
        EXPECT_EQ(std::string(error.what()).find("hunter2"), std::string::npos);
    }
}

}  // namespace
}  // namespace pinpipe::kafka
