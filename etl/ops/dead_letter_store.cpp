#include "ops/dead_letter_store.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "consume/errors.hpp"
#include "load/batch_writer.hpp"
#include "ops/sql_text.hpp"
#include "pg/offset_store.hpp"
#include "util/errors.hpp"

namespace pinpipe::ops {
namespace {

constexpr int payload_preview_bytes = 120;

int64_t to_int(std::string_view text) {
    return std::stoll(std::string(text));
}

std::optional<std::string> optional_text(const pg::Result& result, int row, int column) {
    if (result.is_null(row, column)) {
        return std::nullopt;
    }
    return std::string(result.get(row, column));
}

std::optional<std::string> optional_bytes(const pg::Result& result, int row, int column) {
    if (result.is_null(row, column)) {
        return std::nullopt;
    }
    std::optional<std::string> bytes = decode_hex(result.get(row, column));
    if (!bytes) {
        throw std::runtime_error("PostgreSQL returned a bytea that is not hex");
    }
    return bytes;
}

std::string limit_clause(size_t limit) {
    return limit == 0 ? std::string() : fmt::format(" LIMIT {}", limit);
}

std::string staged_check(std::string_view table) {
    return fmt::format(
        "EXISTS (SELECT 1 FROM {} s WHERE s.kafka_topic = d.topic AND s.kafka_partition = "
        "d.partition AND s.kafka_offset = d.\"offset\")",
        table);
}

std::vector<DeadLetter> select_for_replay(pg::Connection& cx, const DeadLetterFilter& filter,
                                          size_t limit) {
    const SqlCondition condition = filter_condition(filter);
    const pg::Result rows = cx.exec(
        fmt::format("SELECT d.id, d.topic, d.partition, d.\"offset\", "
                    "(extract(epoch FROM d.kafka_timestamp) * 1000)::bigint, "
                    "encode(d.key, 'hex'), encode(d.payload, 'hex'), d.reason, "
                    "{} OR {} OR {} "
                    "FROM etl.dead_letters d WHERE {} ORDER BY d.id{}",
                    staged_check("staging.pin_events"), staged_check("staging.geo_events"),
                    staged_check("staging.user_events"), condition.sql, limit_clause(limit)),
        condition.params);
    std::vector<DeadLetter> letters;
    letters.reserve(static_cast<size_t>(rows.rows()));
    for (int row = 0; row < rows.rows(); ++row) {
        DeadLetter letter;
        letter.id = to_int(rows.get(row, 0));
        letter.topic = rows.get(row, 1);
        letter.partition = static_cast<int32_t>(to_int(rows.get(row, 2)));
        letter.offset = to_int(rows.get(row, 3));
        if (!rows.is_null(row, 4)) {
            letter.timestamp_ms = to_int(rows.get(row, 4));
        }
        letter.key = optional_bytes(rows, row, 5);
        letter.payload = optional_bytes(rows, row, 6);
        letter.reason = rows.get(row, 7);
        letter.already_staged = rows.get(row, 8) == "t";
        letters.push_back(std::move(letter));
    }
    return letters;
}

std::vector<std::string> as_text(const std::vector<int64_t>& ids) {
    std::vector<std::string> out;
    out.reserve(ids.size());
    for (const int64_t id : ids) {
        out.push_back(std::to_string(id));
    }
    return out;
}

}  // namespace

void check_time_bound(pg::Connection& cx, std::string_view option, const TimeBound& bound) {
    try {
        cx.exec("SELECT " + time_bound_sql(bound, 1), {bound.value});
    } catch (const pg::Error& error) {
        if (consume::next_step(error) != consume::NextStep::dead_letter) {
            throw;
        }
        throw UsageError(fmt::format(
            "{} \"{}\" is not a time PostgreSQL understands (e.g. 2024-05-01, \"2024-05-01 "
            "10:00+02\", or an age: 30m, 12h, 7d)",
            option, bound.value));
    }
}

std::vector<DeadLetterSummary> list_dead_letters(pg::Connection& cx, const DeadLetterFilter& filter,
                                                 size_t limit) {
    const SqlCondition condition = filter_condition(filter);
    const pg::Result rows = cx.exec(
        fmt::format("SELECT d.id, {}, d.consumer, d.topic, d.partition, d.\"offset\", {}, "
                    "encode(d.key, 'escape'), octet_length(d.payload), "
                    "encode(substring(d.payload FROM 1 FOR {}), 'escape'), d.reason, d.error "
                    "FROM etl.dead_letters d WHERE {} ORDER BY d.id DESC{}",
                    iso_utc_sql("d.failed_at"), iso_utc_sql("d.kafka_timestamp"),
                    payload_preview_bytes, condition.sql, limit_clause(limit)),
        condition.params);
    std::vector<DeadLetterSummary> out;
    for (int row = 0; row < rows.rows(); ++row) {
        DeadLetterSummary letter;
        letter.id = to_int(rows.get(row, 0));
        letter.failed_at = rows.get(row, 1);
        letter.consumer = rows.get(row, 2);
        letter.topic = rows.get(row, 3);
        letter.partition = static_cast<int32_t>(to_int(rows.get(row, 4)));
        letter.offset = to_int(rows.get(row, 5));
        letter.kafka_timestamp = optional_text(rows, row, 6).value_or("");
        letter.key = optional_text(rows, row, 7);
        if (!rows.is_null(row, 8)) {
            letter.payload_bytes = to_int(rows.get(row, 8));
        }
        letter.payload_preview = optional_text(rows, row, 9).value_or("");
        letter.reason = rows.get(row, 10);
        letter.error = rows.get(row, 11);
        out.push_back(std::move(letter));
    }
    return out;
}

int64_t count_dead_letters(pg::Connection& cx, const DeadLetterFilter& filter) {
    const SqlCondition condition = filter_condition(filter);
    return to_int(
        cx.exec(fmt::format("SELECT count(*) FROM etl.dead_letters d WHERE {}", condition.sql),
                condition.params)
            .get(0, 0));
}

ReplayOutcome replay_dead_letters(pg::Connection& cx, const DeadLetterFilter& filter, size_t limit,
                                  size_t max_message_bytes, bool dry_run) {
    if (!filter.consumer) {
        throw std::logic_error("dlq replay needs the consumer group of the dead letters");
    }
    const std::vector<DeadLetter> letters = select_for_replay(cx, filter, limit);
    events::EventValidator validator(max_message_bytes);
    const ReplayPlan plan = plan_replay(letters, validator);

    ReplayOutcome outcome;
    outcome.selected = static_cast<int64_t>(letters.size());
    outcome.still_bad = plan.still_bad;
    outcome.already_staged = static_cast<int64_t>(plan.already_staged.size());
    outcome.dry_run = dry_run;
    if (dry_run) {
        for (size_t kind = 0; kind < events::event_kind_count; ++kind) {
            outcome.moved[kind] = plan.batch.rows[kind].count();
        }
        return outcome;
    }
    std::vector<int64_t> removed = plan.moved_ids;
    removed.insert(removed.end(), plan.already_staged.begin(), plan.already_staged.end());
    if (removed.empty()) {
        return outcome;
    }
    // No offsets move (advances stay empty): the messages were consumed long ago; only their
    // rows change tables. The deletion runs inside the batch's transaction, so a row is in
    // staging or in etl.dead_letters, never in neither.
    const pg::OffsetStore store(*filter.consumer);
    const load::CommitResult result =
        load::commit_batch(cx, store, plan.batch, [&](pg::Connection& tx_cx) {
            const pg::Result deleted =
                tx_cx.exec("DELETE FROM etl.dead_letters WHERE id = ANY($1::bigint[])",
                           {array_literal(as_text(removed))});
            if (deleted.affected_rows() != static_cast<long long>(removed.size())) {
                throw std::runtime_error(
                    "dead letters selected for replay were removed by another process meanwhile "
                    "(a concurrent dlq replay or purge?); nothing was changed, run dlq replay "
                    "again");
            }
        });
    outcome.moved = result.rows;
    // Payloads PostgreSQL refused again are dead letters again (reason rejected_by_postgres).
    const uint64_t rejected = result.dead_letters - plan.batch.dead_letter_count;
    if (rejected > 0) {
        outcome
            .still_bad[std::string(events::reason_name(events::BadReason::rejected_by_postgres))] +=
            static_cast<int64_t>(rejected);
    }
    return outcome;
}

int64_t purge_dead_letters(pg::Connection& cx, const DeadLetterFilter& filter, bool dry_run) {
    if (dry_run) {
        return count_dead_letters(cx, filter);
    }
    const SqlCondition condition = filter_condition(filter);
    return cx
        .exec(fmt::format("DELETE FROM etl.dead_letters d WHERE {}", condition.sql),
              condition.params)
        .affected_rows();
}

}  // namespace pinpipe::ops
