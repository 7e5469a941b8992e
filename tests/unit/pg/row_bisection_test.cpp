#include "pg/row_bisection.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <random>
#include <set>
#include <stdexcept>
#include <vector>

namespace pinpipe::pg {
namespace {

// What the writer would see: PostgreSQL rejects a COPY when rejects(range) says so. Every
// row must end up written exactly once or rejected, never both.
struct Outcome {
    std::vector<size_t> rejected;
    size_t statements = 0;
    size_t rows_sent = 0;  // every COPY streams its rows before PostgreSQL's answer comes
};

Outcome run(size_t rows, const std::function<bool(RowRange)>& rejects) {
    RowBisection bisection(rows);
    std::vector<int> written(rows, 0);
    std::vector<size_t> reported;
    size_t rows_sent = 0;
    while (!bisection.done()) {
        const RowRange range = bisection.next();
        rows_sent += range.size();
        EXPECT_GT(range.size(), 0u);
        EXPECT_LE(range.end, rows);
        if (rejects(range)) {
            if (const std::optional<size_t> row = bisection.rejected()) {
                EXPECT_EQ(range, (RowRange{*row, *row + 1}));
                reported.push_back(*row);
            }
        } else {
            for (size_t row = range.begin; row < range.end; ++row) {
                ++written[row];
            }
            bisection.written();
        }
        if (bisection.statements() > 4 * rows + 4) {
            ADD_FAILURE() << "no end in sight after " << bisection.statements() << " statements";
            break;
        }
    }
    EXPECT_EQ(reported, bisection.rejected_rows());
    const std::set<size_t> rejected(reported.begin(), reported.end());
    for (size_t row = 0; row < rows; ++row) {
        EXPECT_EQ(written[row], rejected.contains(row) ? 0 : 1) << "row " << row;
    }
    return {reported, bisection.statements(), rows_sent};
}

// PostgreSQL's usual case: a COPY fails when it holds one of the bad rows.
std::function<bool(RowRange)> holding(const std::set<size_t>& bad) {
    return [bad](RowRange range) {
        const auto first = bad.lower_bound(range.begin);
        return first != bad.end() && *first < range.end;
    };
}

size_t ceil_log2(size_t n) {
    return static_cast<size_t>(std::ceil(std::log2(n)));
}

TEST(RowBisection, NoBadRowCostsOneStatement) {
    const Outcome outcome = run(20'000, holding({}));
    EXPECT_TRUE(outcome.rejected.empty());
    EXPECT_EQ(outcome.statements, 1u);
}

TEST(RowBisection, NoRowsNeedNoStatement) {
    RowBisection bisection(0);
    EXPECT_TRUE(bisection.done());
    EXPECT_THROW(static_cast<void>(bisection.next()), std::logic_error);
}

TEST(RowBisection, OneBadRowIn20000CostsAboutLog2NStatementsWhereverItIs) {
    constexpr size_t rows = 20'000;
    const size_t bound = ceil_log2(rows) + 3;  // 18
    for (const size_t bad : {size_t{0}, size_t{1}, size_t{9'999}, size_t{10'000}, size_t{12'345},
                             rows - 2, rows - 1}) {
        const Outcome outcome = run(rows, holding({bad}));
        EXPECT_EQ(outcome.rejected, std::vector<size_t>{bad});
        EXPECT_LE(outcome.statements, bound) << "bad row " << bad;
        EXPECT_GE(outcome.statements, ceil_log2(rows)) << "bad row " << bad;
    }
}

TEST(RowBisection, OneBadRowAnywhereInASmallerBatchStaysWithinTheBound) {
    for (size_t rows = 1; rows <= 130; ++rows) {
        for (size_t bad = 0; bad < rows; ++bad) {
            const Outcome outcome = run(rows, holding({bad}));
            ASSERT_EQ(outcome.rejected, std::vector<size_t>{bad}) << rows << " rows";
            ASSERT_LE(outcome.statements, ceil_log2(rows) + 3) << rows << " rows, bad " << bad;
        }
    }
}

TEST(RowBisection, TwoBadRowsAreBothFoundAndEverythingElseWritten) {
    constexpr size_t rows = 20'000;
    for (const auto& [first, second] : std::vector<std::pair<size_t, size_t>>{
             {0, 1}, {0, rows - 1}, {4'000, 4'001}, {7, 15'000}, {rows - 2, rows - 1}}) {
        const Outcome outcome = run(rows, holding({first, second}));
        EXPECT_EQ(outcome.rejected, (std::vector<size_t>{first, second}));
        // The first found by halving, the second by galloping from it then halving, the rows
        // after it sent in doubling probes.
        EXPECT_LE(outcome.statements, 4 * ceil_log2(rows) + 6) << first << ", " << second;
    }
}

TEST(RowBisection, WhenEveryRowIsBadEachCostsTwoStatements) {
    constexpr size_t rows = 1'000;
    std::set<size_t> bad;
    for (size_t row = 0; row < rows; ++row) {
        bad.insert(row);
    }
    const Outcome outcome = run(rows, holding(bad));
    EXPECT_EQ(outcome.rejected.size(), rows);
    EXPECT_LE(outcome.statements, 2 * rows + ceil_log2(rows));
    EXPECT_LE(outcome.rows_sent, 5 * rows) << "the batch is not streamed once per bad row";
}

TEST(RowBisection, OneBadRowInAHundredSendsTheBatchAFewTimesNotOncePerBadRow) {
    constexpr size_t rows = 20'000;
    std::set<size_t> bad;
    for (size_t row = 50; row < rows; row += 100) {
        bad.insert(row);
    }
    const Outcome outcome = run(rows, holding(bad));
    EXPECT_EQ(outcome.rejected.size(), bad.size());
    EXPECT_LE(outcome.rows_sent, 10 * rows);
    EXPECT_LE(outcome.statements, bad.size() * (2 * ceil_log2(100) + 4));
}

TEST(RowBisection, RandomBadRowsAreExactlyTheRejectedOnes) {
    std::mt19937 random(27);
    for (int round = 0; round < 200; ++round) {
        const size_t rows = std::uniform_int_distribution<size_t>(1, 3'000)(random);
        const size_t bad_count = std::uniform_int_distribution<size_t>(0, 12)(random);
        std::set<size_t> bad;
        for (size_t i = 0; i < bad_count; ++i) {
            bad.insert(std::uniform_int_distribution<size_t>(0, rows - 1)(random));
        }
        const Outcome outcome = run(rows, holding(bad));
        ASSERT_EQ(outcome.rejected, std::vector<size_t>(bad.begin(), bad.end()));
        // Each bad row costs at most a search (two statements per halving) and a retry.
        ASSERT_LE(outcome.statements, 1 + bad.size() * (2 * ceil_log2(rows) + 4));
    }
}

TEST(RowBisection, ARejectionThatDependsOnOtherRowsCostsStatementsButNoRow) {
    // Only the whole batch fails (say, a sum over it overflows): halves go in, no row is bad.
    const Outcome whole_only = run(1'000, [](RowRange range) { return range.size() == 1'000; });
    EXPECT_TRUE(whole_only.rejected.empty());
    // Rows 10 and 11 fail only together: neither is rejected alone.
    const Outcome pair =
        run(100, [](RowRange range) { return range.begin <= 10 && range.end >= 12; });
    EXPECT_TRUE(pair.rejected.empty());
}

}  // namespace
}  // namespace pinpipe::pg
