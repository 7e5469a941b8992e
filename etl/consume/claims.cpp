#include "consume/claims.hpp"

#include <unistd.h>

#include <algorithm>
#include <random>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "consume/errors.hpp"
#include "obs/log.hpp"
#include "pg/failpoint.hpp"

namespace pinpipe::consume {
namespace {

using Clock = std::chrono::steady_clock;
using events::TopicPartition;
using namespace std::chrono_literals;

double milliseconds_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

std::vector<size_t> writer_loads(const Writers& writers) {
    std::vector<size_t> loads;
    loads.reserve(writers.size());
    for (const auto& writer : writers) {
        loads.push_back(writer->partitions);
    }
    return loads;
}

// The stored offsets of the group, read on the first writer's connection.
std::map<TopicPartition, int64_t> stored_offsets(ClaimContext& ctx) {
    Writer& first = *ctx.writers.front();
    return first.run([&] {
        pqxx::nontransaction session(*first.cx);
        return ctx.store.stored_offsets(session);
    });
}

// Reading from an offset that retention deleted starts at the oldest message left
// (auto.offset.reset): said once, when the partition is claimed.
void warn_if_deleted_by_retention(const TopicPartition& tp, int64_t stored, int64_t low) {
    if (stored < low) {
        obs::log_warning("messages were deleted by Kafka retention before they were read",
                         {{"partition", tp.to_string()},
                          {"stored_offset", std::to_string(stored)},
                          {"low_watermark", std::to_string(low)},
                          {"lost", std::to_string(low - stored)}});
    }
}

}  // namespace

void check_stored_offset(const std::string& group, const TopicPartition& tp, int64_t stored,
                         const kafka::Watermarks& watermarks) {
    if (stored > watermarks.high) {
        throw OffsetBeyondEnd(group, tp, stored, watermarks.high);
    }
}

void ClaimContext::finish(const TopicPartition& tp) {
    const std::optional<PartitionState> state = table.finish(tp);
    if (!state) {
        return;
    }
    Writer& writer = *writers[state->writer];
    --writer.partitions;
    consumer.unassign({tp});
    writer.batch->progress.release_after_commit.push_back(tp);
}

std::unique_ptr<ClaimStrategy> make_claim_strategy(const ConsumerOptions& options) {
    if (options.follow) {
        return std::make_unique<FollowClaims>();
    }
    return std::make_unique<CronClaims>(options.kafka_timeout);
}

std::vector<TopicPartition> all_partitions(kafka::Consumer& consumer,
                                           const ConsumerOptions& options) {
    std::vector<std::string> topics(options.topics.begin(), options.topics.end());
    std::vector<int32_t> counts;
    try {
        counts = consumer.partition_counts(topics, options.kafka_timeout);
    } catch (const kafka::TopicMissing&) {
        throw;  // asking again will not create it: the run ends
    } catch (const std::runtime_error& error) {
        throw KafkaUnavailable(error.what());
    }
    std::vector<TopicPartition> partitions;
    const int32_t most = *std::max_element(counts.begin(), counts.end());
    for (int32_t partition = 0; partition < most; ++partition) {
        for (size_t t = 0; t < topics.size(); ++t) {
            if (partition < counts[t]) {
                partitions.push_back({topics[t], partition});
            }
        }
    }
    return partitions;
}

std::vector<size_t> spread_over_writers(std::vector<size_t> loads, size_t count) {
    std::vector<size_t> chosen;
    chosen.reserve(count);
    for (size_t i = 0; i < count; ++i) {
        const auto writer =
            static_cast<size_t>(std::min_element(loads.begin(), loads.end()) - loads.begin());
        ++loads[writer];
        chosen.push_back(writer);
    }
    return chosen;
}

CronPlan plan_cron_reads(const std::string& group, const std::vector<TopicPartition>& partitions,
                         const std::vector<kafka::Watermarks>& watermarks,
                         const std::map<TopicPartition, int64_t>& stored, size_t rotation) {
    CronPlan plan;
    for (size_t i = 0; i < partitions.size(); ++i) {
        const kafka::Watermarks& marks = watermarks.at(i);
        const auto found = stored.find(partitions[i]);
        const int64_t start = found == stored.end() ? marks.low : found->second;
        check_stored_offset(group, partitions[i], start, marks);
        if (start < marks.high) {
            plan.pending.push_back({partitions[i], marks});
            // Messages below the low watermark are gone (retention): they will not be read.
            plan.behind += static_cast<uint64_t>(marks.high - std::max(start, marks.low));
        }
    }
    if (!plan.pending.empty()) {
        std::rotate(plan.pending.begin(),
                    plan.pending.begin() + static_cast<long>(rotation % plan.pending.size()),
                    plan.pending.end());
    }
    return plan;
}

void CronClaims::start(ClaimContext& ctx) {
    const auto stored = stored_offsets(ctx);
    std::vector<kafka::Watermarks> watermarks;
    watermarks.reserve(ctx.partitions.size());
    for (const TopicPartition& tp : ctx.partitions) {
        watermarks.push_back(ctx.consumer.watermarks(tp, ctx.options.kafka_timeout));
    }
    std::mt19937 random(static_cast<unsigned>(getpid()));
    // The stored offsets were read first: see plan_cron_reads.
    CronPlan plan =
        plan_cron_reads(ctx.options.group, ctx.partitions, watermarks, stored, random());
    ctx.sink.planned(plan.behind);
    m_pending = std::move(plan.pending);
}

// Claims queue on the writers behind the batches in flight; waiting for them would leave
// PostgreSQL idle while the next batch is built, so they are answered later.
bool CronClaims::step(ClaimContext& ctx, bool /*peers_ended*/) {
    while (ctx.table.size() + m_claims.size() < ctx.options.parallel_partitions &&
           !m_pending.empty()) {
        const PendingPartition next = m_pending.front();
        m_pending.pop_front();
        const size_t writer = spread_over_writers(writer_loads(ctx.writers), 1).front();
        ++ctx.writers[writer]->partitions;
        m_claims.push_back({next, writer, submit_claim(ctx, writer, next)});
    }
    bool wait_for_one = ctx.table.empty();
    while (!m_claims.empty() &&
           (wait_for_one || m_claims.front().stored.wait_for(0s) == std::future_status::ready)) {
        PendingClaim claim = std::move(m_claims.front());
        m_claims.pop_front();
        start_claimed(ctx, claim.partition, claim.writer, claim.stored.get());
        wait_for_one = false;
    }
    return !(ctx.table.empty() && m_pending.empty() && m_claims.empty());
}

// The stored offset to read from once the writer has claimed the partition; nullopt when
// another consumer holds it or it is already read up to the high watermark.
std::future<std::optional<int64_t>> CronClaims::submit_claim(ClaimContext& ctx, size_t writer,
                                                             const PendingPartition& partition) {
    Writer& w = *ctx.writers[writer];
    return w.thread.submit([&ctx, &w, tp = partition.tp, low = partition.watermarks.low,
                            target = partition.watermarks.high]() -> std::optional<int64_t> {
        pqxx::nontransaction session(*w.cx);
        if (!ctx.store.try_claim(session, tp)) {
            return std::nullopt;
        }
        const int64_t offset = ctx.store.stored_or_initialize(session, tp, low);
        pg::failpoint(ctx.options.failpoints.after_claim);
        if (offset >= target) {
            ctx.store.release(session, tp);  // finished by someone else meanwhile
            return std::nullopt;
        }
        return offset;
    });
}

void CronClaims::start_claimed(ClaimContext& ctx, const PendingPartition& partition, size_t writer,
                               std::optional<int64_t> stored) {
    if (!stored) {
        --ctx.writers[writer]->partitions;
        return;
    }
    const TopicPartition& tp = partition.tp;
    warn_if_deleted_by_retention(tp, *stored, partition.watermarks.low);
    ctx.table.start(tp, ctx.kind_of_topic.at(tp.topic), writer, *stored, partition.watermarks.high);
    ctx.consumer.assign({{tp, *stored}});
    ++ctx.run.partitions_read;
}

bool FollowClaims::step(ClaimContext& ctx, bool peers_ended) {
    if (peers_ended || Clock::now() >= m_next_rebalance) {
        rebalance(ctx);
    }
    return true;
}

void FollowClaims::rebalance(ClaimContext& ctx) {
    // Topics may have gained partitions; a failed metadata request keeps the old list, and so
    // does a topic missing from it now: it existed when the session started.
    try {
        ctx.partitions = all_partitions(ctx.consumer, ctx.options);
    } catch (const std::runtime_error& error) {
        if (dynamic_cast<const KafkaUnavailable*>(&error) == nullptr &&
            dynamic_cast<const kafka::TopicMissing*>(&error) == nullptr) {
            throw;
        }
        obs::log_warning("could not refresh the partition list from Kafka; keeping the old",
                         {{"error", error.what()}});
    }
    std::set<TopicPartition> owned;
    for (const auto& [tp, state] : ctx.table.partitions()) {
        owned.insert(tp);
    }
    const pg::ClaimPlan plan =
        ctx.membership.rebalance(ctx.member_cx, ctx.store, ctx.partitions, owned);
    for (const TopicPartition& tp : plan.release) {
        ctx.finish(tp);
    }
    const size_t acquired = plan.acquire.empty() ? 0 : acquire(ctx, plan.acquire);
    m_next_rebalance =
        Clock::now() + plan.carried_out(ctx.table.size(), acquired, ctx.options.rebalance_interval);
}

// Claims what it can of the given partitions, spread over the writers, and starts reading them
// at their stored offsets; returns how many it got.
size_t FollowClaims::acquire(ClaimContext& ctx, const std::vector<TopicPartition>& partitions) {
    const auto began = Clock::now();
    // The stored offsets are read before the watermarks, as a cron plan's: a stored offset
    // beyond the high watermark is then never another consumer's progress meanwhile.
    const auto stored = stored_offsets(ctx);
    // Every partition's watermarks: one never read before is read from its oldest message, or
    // from its end with StartAt::latest, and needs them; a stored offset beyond the end (a topic
    // recreated) ends the run, as auto.offset.reset would read the new messages only to drop
    // them as already read; one below the low watermark is said once claimed. A partition with
    // a stored offset whose leader does not answer is claimed unchecked, as before the check,
    // so that one unavailable leader does not stop the others.
    const std::vector<size_t> writer_of =
        spread_over_writers(writer_loads(ctx.writers), partitions.size());
    std::vector<kafka::PartitionOffsets> per_writer(ctx.writers.size());
    std::map<TopicPartition, int64_t> low_watermarks;
    for (size_t i = 0; i < partitions.size(); ++i) {
        const TopicPartition& tp = partitions[i];
        const auto found = stored.find(tp);
        std::optional<kafka::Watermarks> marks;
        try {
            marks = ctx.consumer.watermarks(tp, ctx.options.kafka_timeout);
        } catch (const std::runtime_error& error) {
            if (found == stored.end()) {
                throw KafkaUnavailable(error.what());
            }
            obs::log_warning("could not check a stored offset against Kafka; claiming it as it is",
                             {{"partition", tp.to_string()}, {"error", error.what()}});
        }
        int64_t start_offset = 0;
        if (found != stored.end()) {
            if (marks) {
                check_stored_offset(ctx.options.group, tp, found->second, *marks);
            }
            start_offset = found->second;
        } else {
            start_offset = ctx.options.start == StartAt::latest ? marks->high : marks->low;
        }
        if (marks) {
            low_watermarks[tp] = marks->low;
        }
        per_writer[writer_of[i]].emplace_back(tp, start_offset);
    }
    const auto looked_up = Clock::now();
    std::vector<std::future<kafka::PartitionOffsets>> claims;
    for (size_t writer = 0; writer < ctx.writers.size(); ++writer) {
        Writer& w = *ctx.writers[writer];
        claims.push_back(w.thread.submit([&ctx, &w, wanted = per_writer[writer]] {
            kafka::PartitionOffsets positions;
            pqxx::nontransaction session(*w.cx);
            for (const auto& [tp, start_offset] : wanted) {
                if (ctx.store.try_claim(session, tp)) {  // false: another instance was quicker
                    positions.emplace_back(
                        tp, ctx.store.stored_or_initialize(session, tp, start_offset));
                    pg::failpoint(ctx.options.failpoints.after_claim);
                }
            }
            return positions;
        }));
    }
    kafka::PartitionOffsets claimed;
    for (size_t writer = 0; writer < ctx.writers.size(); ++writer) {
        for (const auto& [tp, offset] : claims[writer].get()) {
            ctx.table.start(tp, ctx.kind_of_topic.at(tp.topic), writer, offset, no_end);
            ++ctx.writers[writer]->partitions;
            if (const auto low = low_watermarks.find(tp); low != low_watermarks.end()) {
                warn_if_deleted_by_retention(tp, offset, low->second);
            }
            claimed.emplace_back(tp, offset);
        }
    }
    if (!claimed.empty()) {
        // Offsets deleted by retention meanwhile: auto.offset.reset reads from the oldest.
        ctx.consumer.assign(claimed);
    }
    obs::log(obs::LogLevel::debug, "partitions claimed",
             {{"claimed", std::to_string(claimed.size())},
              {"start_offsets_ms", fmt::format("{:.1f}", milliseconds_between(began, looked_up))},
              {"claims_ms", fmt::format("{:.1f}", milliseconds_between(looked_up, Clock::now()))}});
    return claimed.size();
}

}  // namespace pinpipe::consume
