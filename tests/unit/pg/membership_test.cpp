// The fair-share arithmetic of long-running consumers (DESIGN §8): pure, no server.
#include "pg/membership.hpp"

#include <gtest/gtest.h>

#include <numeric>

namespace pinpipe::pg {
namespace {

using events::TopicPartition;

std::vector<TopicPartition> partitions(int count) {
    std::vector<TopicPartition> all;
    for (int i = 0; i < count; ++i) {
        all.push_back({"t", i});
    }
    return all;
}

TEST(FairShare, SharesAddUpToThePartitionsAndDifferByAtMostOne) {
    for (size_t total = 0; total <= 40; ++total) {
        for (size_t instances = 1; instances <= 9; ++instances) {
            size_t sum = 0;
            size_t smallest = total;
            size_t largest = 0;
            for (size_t rank = 0; rank < instances; ++rank) {
                const size_t share = fair_share(total, instances, rank);
                sum += share;
                smallest = std::min(smallest, share);
                largest = std::max(largest, share);
            }
            EXPECT_EQ(sum, total) << total << " over " << instances;
            EXPECT_LE(largest - smallest, 1U) << total << " over " << instances;
        }
    }
}

TEST(FairShare, EarlierRanksTakeTheRemainder) {
    EXPECT_EQ(fair_share(12, 5, 0), 3U);
    EXPECT_EQ(fair_share(12, 5, 1), 3U);
    EXPECT_EQ(fair_share(12, 5, 2), 2U);
    EXPECT_EQ(fair_share(12, 5, 4), 2U);
    EXPECT_EQ(fair_share(2, 3, 2), 0U);  // more instances than partitions: some idle
}

TEST(FairShare, NoInstancesOrARankBeyondThemGetNothing) {
    EXPECT_EQ(fair_share(12, 0, 0), 0U);
    EXPECT_EQ(fair_share(12, 2, 2), 0U);
}

TEST(PlanClaims, AFirstInstanceAcquiresEveryFreePartitionInOrder) {
    const auto all = partitions(4);
    const ClaimPlan plan = plan_claims(all, {}, {}, 4);
    EXPECT_TRUE(plan.release.empty());
    EXPECT_EQ(plan.acquire, all);
    EXPECT_TRUE(plan.settled());
}

TEST(PlanClaims, AnInstanceOverItsShareReleasesItsLastPartitions) {
    const auto all = partitions(6);
    const std::set<TopicPartition> owned(all.begin(), all.end());
    const ClaimPlan plan = plan_claims(all, owned, {}, 3);
    EXPECT_EQ(plan.release, (std::vector<TopicPartition>{{"t", 5}, {"t", 4}, {"t", 3}}));
    EXPECT_TRUE(plan.acquire.empty());
    EXPECT_EQ(plan.owned_after, 3U);
}

TEST(PlanClaims, PartitionsClaimedByOthersAreNeverAcquired) {
    const auto all = partitions(6);
    const ClaimPlan plan = plan_claims(all, {{"t", 0}}, {{"t", 1}, {"t", 2}, {"t", 3}}, 3);
    EXPECT_EQ(plan.acquire, (std::vector<TopicPartition>{{"t", 4}, {"t", 5}}));
    EXPECT_TRUE(plan.settled());
}

TEST(PlanClaims, UnsettledWhileOthersStillHoldWhatTheShareNeeds) {
    const auto all = partitions(4);
    // A new instance: the old one still holds everything until it sees the new member.
    const ClaimPlan plan = plan_claims(all, {}, {all.begin(), all.end()}, 2);
    EXPECT_TRUE(plan.acquire.empty());
    EXPECT_FALSE(plan.settled());
}

TEST(PlanClaims, PartitionsThatNoLongerExistAreReleased) {
    const auto all = partitions(2);
    const ClaimPlan plan = plan_claims(all, {{"t", 0}, {"gone", 7}}, {}, 2);
    EXPECT_EQ(plan.release, (std::vector<TopicPartition>{{"gone", 7}}));
    EXPECT_EQ(plan.acquire, (std::vector<TopicPartition>{{"t", 1}}));
}

TEST(PlanClaims, InstancesFollowingTheirPlansEndWithDisjointFairShares) {
    // Three instances re-check in turn, as they do every few seconds, until nothing moves.
    const auto all = partitions(10);
    std::vector<std::set<TopicPartition>> owned(3);
    owned[0] = {all.begin(), all.end()};  // the first instance started alone
    for (int round = 0; round < 4; ++round) {
        for (size_t rank = 0; rank < owned.size(); ++rank) {
            std::set<TopicPartition> others;
            for (size_t other = 0; other < owned.size(); ++other) {
                if (other != rank) {
                    others.insert(owned[other].begin(), owned[other].end());
                }
            }
            const ClaimPlan plan =
                plan_claims(all, owned[rank], others, fair_share(all.size(), 3, rank));
            for (const auto& tp : plan.release) {
                owned[rank].erase(tp);
            }
            owned[rank].insert(plan.acquire.begin(), plan.acquire.end());
        }
    }
    EXPECT_EQ(owned[0].size(), 4U);
    EXPECT_EQ(owned[1].size(), 3U);
    EXPECT_EQ(owned[2].size(), 3U);
    std::set<TopicPartition> union_of_all;
    for (const auto& share : owned) {
        union_of_all.insert(share.begin(), share.end());
    }
    EXPECT_EQ(union_of_all.size(), all.size());
}

}  // namespace
}  // namespace pinpipe::pg
