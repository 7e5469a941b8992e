#include "ops/import_plan.hpp"

#include <gtest/gtest.h>

#include "pg/staging_rows.hpp"

namespace pinpipe::ops {
namespace {

using events::EventKind;

ImportPlan plan(std::string_view content, std::optional<EventKind> kind = std::nullopt) {
    events::EventValidator validator;
    return plan_import(content, "abc", kind, 1700000000000, validator);
}

TEST(DetectKind, ByTheFieldsOnlyOneKindCarries) {
    EXPECT_EQ(detect_kind(R"({"index":1,"category":"art"})"), EventKind::pin);
    EXPECT_EQ(detect_kind(R"({"ind":1,"latitude":1.5,"longitude":2})"), EventKind::geo);
    EXPECT_EQ(detect_kind(R"({"ind":1,"first_name":"A","age":20})"), EventKind::user);
    EXPECT_FALSE(detect_kind(R"({"ind":1})").has_value());
    EXPECT_FALSE(detect_kind("[1]").has_value());
}

TEST(PlanImport, NewlineDelimitedJsonOneRowPerLineAndADeadLetterForTheBadOne) {
    const ImportPlan result = plan(
        "{\"index\":1,\"category\":\"art\"}\n"
        "\n"
        "{\"ind\":1,\"country\":\"Chad\"}\n"
        "{not json\n"
        "{\"ind\":\"x\",\"age\":3}\n");
    EXPECT_EQ(result.rows[0].count(), 1u);
    EXPECT_EQ(result.rows[1].count(), 1u);
    EXPECT_EQ(result.rows[2].count(), 0u);
    EXPECT_EQ(result.dead_letter_count, 2u);
    EXPECT_EQ(result.records, 4u);
    // Line numbers are the offsets; the blank line 2 is skipped, not renumbered.
    const pg::StagingRow geo = pg::decode_staging_row(result.rows[1].row(0));
    EXPECT_EQ(geo.offset, 3);
    EXPECT_EQ(geo.topic, "import:abc.geo");
    EXPECT_EQ(geo.key, "1");
    EXPECT_NE(result.dead_letters.find("invalid_json"), std::string::npos);
    EXPECT_NE(result.dead_letters.find("non_integer_ind"), std::string::npos);
    EXPECT_NE(result.dead_letters.find("import:abc.user\t0\t5"), std::string::npos)
        << result.dead_letters;
}

TEST(PlanImport, OneEventPerFileEvenPrettyPrintedAndTheSeedsWrapper) {
    const ImportPlan single = plan("{\n  \"index\": 7,\n  \"category\": \"travel\"\n}\n");
    EXPECT_EQ(single.rows[0].count(), 1u);
    EXPECT_EQ(single.dead_letter_count, 0u);

    const ImportPlan wrapped =
        plan(R"({"pin":{"index":7,"category":"travel"},"geo":{"ind":7,"country":"Chad"},)"
             R"("user":{"ind":7,"first_name":"Ann"}})");
    EXPECT_EQ(wrapped.rows[0].count(), 1u);
    EXPECT_EQ(wrapped.rows[1].count(), 1u);
    EXPECT_EQ(wrapped.rows[2].count(), 1u);
    EXPECT_EQ(wrapped.records, 3u);
}

TEST(PlanImport, AnObjectOfNoKnownKindIsADeadLetterUnlessKindIsGiven) {
    const ImportPlan unknown = plan(R"({"ind":3,"colour":"red"})");
    EXPECT_EQ(unknown.dead_letter_count, 1u);
    EXPECT_NE(unknown.dead_letters.find(std::string(unknown_kind_reason)), std::string::npos);
    const ImportPlan forced = plan(R"({"ind":3,"colour":"red"})", EventKind::user);
    EXPECT_EQ(forced.rows[2].count(), 1u);
    EXPECT_EQ(forced.dead_letter_count, 0u);
}

}  // namespace
}  // namespace pinpipe::ops
