// Which materialized view is refreshed when, and how: pure decisions over catalog facts.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "analytics/refresh.hpp"

namespace pinpipe::analytics {
namespace {

std::vector<std::string> names(const std::vector<MaterializedView>& views) {
    std::vector<std::string> result;
    for (const MaterializedView& view : views) {
        result.push_back(view.name);
    }
    return result;
}

TEST(RefreshOrder, KeepsCatalogOrderForIndependentViews) {
    const std::vector<MaterializedView> views = {
        {"a", true, true, {}}, {"b", true, true, {}}, {"c", true, true, {}}};
    EXPECT_EQ(names(refresh_order(views)), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(RefreshOrder, PutsEachViewAfterTheViewsItReads) {
    // a reads c; c reads b: b, then c, then a.
    const std::vector<MaterializedView> views = {
        {"a", true, true, {"c"}}, {"b", true, true, {}}, {"c", true, true, {"b"}}};
    EXPECT_EQ(names(refresh_order(views)), (std::vector<std::string>{"b", "c", "a"}));
}

TEST(RefreshOrder, IgnoresDependenciesOutsideTheList) {
    const std::vector<MaterializedView> views = {{"a", true, true, {"elsewhere.mv"}}};
    EXPECT_EQ(names(refresh_order(views)), (std::vector<std::string>{"a"}));
}

TEST(RefreshOrder, RejectsACycle) {
    const std::vector<MaterializedView> views = {{"a", true, true, {"b"}},
                                                 {"b", true, true, {"a"}}};
    EXPECT_THROW(refresh_order(views), std::invalid_argument);
}

TEST(RefreshOrder, EmptyListIsEmpty) {
    EXPECT_TRUE(refresh_order({}).empty());
}

TEST(RefreshMode, ConcurrentOnlyWhenPopulatedAndUniquelyIndexed) {
    EXPECT_EQ(refresh_mode({"a", /*populated=*/true, /*has_unique_index=*/true, {}}),
              RefreshMode::concurrent);
    EXPECT_EQ(refresh_mode({"a", /*populated=*/false, /*has_unique_index=*/true, {}}),
              RefreshMode::plain);
    EXPECT_EQ(refresh_mode({"a", /*populated=*/true, /*has_unique_index=*/false, {}}),
              RefreshMode::plain);
}

}  // namespace
}  // namespace pinpipe::analytics
