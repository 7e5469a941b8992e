#include "ops/dead_letter_store.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "ops/sql_text.hpp"
#include "pg/connection.hpp"
#include "pg/dead_letters.hpp"
#include "pg/staging_writer.hpp"
#include "util/errors.hpp"

namespace pinpipe::ops {
namespace {

constexpr int payload_preview_bytes = 120;

std::optional<std::string> optional_text(const pqxx::field& field) {
    if (field.is_null()) {
        return std::nullopt;
    }
    return field.as<std::string>();
}

std::optional<std::string> optional_bytes(const pqxx::field& field) {
    if (field.is_null()) {
        return std::nullopt;
    }
    std::optional<std::string> bytes = decode_hex(std::string_view(field.c_str(), field.size()));
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

std::vector<DeadLetter> select_for_replay(pqxx::connection_base& cx, const DeadLetterFilter& filter,
                                          size_t limit) {
    const SqlCondition condition = filter_condition(filter);
    pqxx::nontransaction tx(cx);
    const pqxx::result rows = pg::exec_params(
        tx,
        fmt::format("SELECT d.id, d.topic, d.partition, d.\"offset\", "
                    "(extract(epoch FROM d.kafka_timestamp) * 1000)::bigint, "
                    "encode(d.key, 'hex'), encode(d.payload, 'hex'), d.reason, "
                    "{} OR {} OR {} "
                    "FROM etl.dead_letters d WHERE {} ORDER BY d.id{}",
                    staged_check("staging.pin_events"), staged_check("staging.geo_events"),
                    staged_check("staging.user_events"), condition.sql, limit_clause(limit)),
        condition.params);
    std::vector<DeadLetter> letters;
    letters.reserve(rows.size());
    for (const pqxx::row& row : rows) {
        DeadLetter letter;
        letter.id = row[0].as<int64_t>();
        letter.topic = row[1].as<std::string>();
        letter.partition = row[2].as<int32_t>();
        letter.offset = row[3].as<int64_t>();
        if (!row[4].is_null()) {
            letter.timestamp_ms = row[4].as<int64_t>();
        }
        letter.key = optional_bytes(row[5]);
        letter.payload = optional_bytes(row[6]);
        letter.reason = row[7].as<std::string>();
        letter.already_staged = row[8].as<bool>();
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

void check_time_bound(pqxx::connection_base& cx, std::string_view option, const TimeBound& bound) {
    try {
        pqxx::nontransaction(cx).exec_params("SELECT " + time_bound_sql(bound, 1), bound.value);
    } catch (const pqxx::data_exception&) {
        throw UsageError(fmt::format(
            "{} \"{}\" is not a time PostgreSQL understands (e.g. 2024-05-01, \"2024-05-01 "
            "10:00+02\", or an age: 30m, 12h, 7d)",
            option, bound.value));
    }
}

std::vector<DeadLetterSummary> list_dead_letters(pqxx::connection_base& cx,
                                                 const DeadLetterFilter& filter, size_t limit) {
    const SqlCondition condition = filter_condition(filter);
    pqxx::nontransaction tx(cx);
    const pqxx::result rows = pg::exec_params(
        tx,
        fmt::format("SELECT d.id, {}, d.consumer, d.topic, d.partition, d.\"offset\", {}, "
                    "encode(d.key, 'escape'), octet_length(d.payload), "
                    "encode(substring(d.payload FROM 1 FOR {}), 'escape'), d.reason, d.error "
                    "FROM etl.dead_letters d WHERE {} ORDER BY d.id DESC{}",
                    iso_utc_sql("d.failed_at"), iso_utc_sql("d.kafka_timestamp"),
                    payload_preview_bytes, condition.sql, limit_clause(limit)),
        condition.params);
    std::vector<DeadLetterSummary> out;
    for (const pqxx::row& row : rows) {
        DeadLetterSummary letter;
        letter.id = row[0].as<int64_t>();
        letter.failed_at = row[1].as<std::string>();
        letter.consumer = row[2].as<std::string>();
        letter.topic = row[3].as<std::string>();
        letter.partition = row[4].as<int32_t>();
        letter.offset = row[5].as<int64_t>();
        letter.kafka_timestamp = optional_text(row[6]).value_or("");
        letter.key = optional_text(row[7]);
        if (!row[8].is_null()) {
            letter.payload_bytes = row[8].as<int64_t>();
        }
        letter.payload_preview = optional_text(row[9]).value_or("");
        letter.reason = row[10].as<std::string>();
        letter.error = row[11].as<std::string>();
        out.push_back(std::move(letter));
    }
    return out;
}

int64_t count_dead_letters(pqxx::connection_base& cx, const DeadLetterFilter& filter) {
    const SqlCondition condition = filter_condition(filter);
    pqxx::nontransaction tx(cx);
    return pg::exec_params(
               tx, fmt::format("SELECT count(*) FROM etl.dead_letters d WHERE {}", condition.sql),
               condition.params)[0][0]
        .as<int64_t>();
}

ReplayOutcome replay_dead_letters(pqxx::connection_base& cx, const DeadLetterFilter& filter,
                                  size_t limit, size_t max_message_bytes, bool dry_run,
                                  std::chrono::milliseconds lock_timeout) {
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
            outcome.moved[kind] = plan.rows[kind].count();
        }
        return outcome;
    }
    std::vector<int64_t> removed = plan.moved_ids;
    removed.insert(removed.end(), plan.already_staged.begin(), plan.already_staged.end());
    if (removed.empty()) {
        return outcome;
    }
    // No offsets move: the messages were consumed long ago; only their rows change tables. The
    // deletion, the rows and the dead letters of rows PostgreSQL rejects again commit in one
    // transaction, so a row is in staging or in etl.dead_letters, never in neither.
    pqxx::work tx(cx);
    pg::set_local_lock_timeout(tx, lock_timeout);
    const pqxx::result deleted =
        tx.exec_params("DELETE FROM etl.dead_letters WHERE id = ANY($1::bigint[])",
                       array_literal(as_text(removed)));
    if (deleted.affected_rows() != removed.size()) {
        throw std::runtime_error(
            "dead letters selected for replay were removed by another process meanwhile (a "
            "concurrent dlq replay or purge?); nothing was changed, run dlq replay again");
    }
    const pg::StagingWrite written = pg::write_staging_rows(tx, plan.rows, *filter.consumer);
    pg::copy_dead_letters(tx, written.dead_letters);
    tx.commit();
    outcome.moved = written.rows;
    // Payloads PostgreSQL refused again are dead letters again (reason rejected_by_postgres).
    if (written.rejected > 0) {
        outcome
            .still_bad[std::string(events::reason_name(events::BadReason::rejected_by_postgres))] +=
            static_cast<int64_t>(written.rejected);
    }
    return outcome;
}

int64_t purge_dead_letters(pqxx::connection_base& cx, const DeadLetterFilter& filter,
                           bool dry_run) {
    if (dry_run) {
        return count_dead_letters(cx, filter);
    }
    const SqlCondition condition = filter_condition(filter);
    pqxx::nontransaction tx(cx);
    return static_cast<int64_t>(
        pg::exec_params(tx, fmt::format("DELETE FROM etl.dead_letters d WHERE {}", condition.sql),
                        condition.params)
            .affected_rows());
}

}  // namespace pinpipe::ops
