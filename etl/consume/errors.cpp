#include "consume/errors.hpp"

#include <algorithm>
#include <iterator>
#include <string>

#include <fmt/format.h>
#include <pqxx/except>

#include "kafka/consumer.hpp"
#include "pg/connection.hpp"
#include "pg/membership.hpp"

namespace pinpipe::consume {

std::string_view next_step_name(NextStep step) {
    switch (step) {
        case NextStep::retry_batch:
            return "retry_batch";
        case NextStep::new_session:
            return "new_session";
        case NextStep::dead_letter:
            return "dead_letter";
        case NextStep::exit:
            return "exit";
    }
    return "exit";
}

namespace {

// The SQL literal of a value, for a statement the user may paste.
std::string sql_literal(const std::string& value) {
    std::string quoted = "'";
    for (const char c : value) {
        quoted += c;
        if (c == '\'') {
            quoted += '\'';
        }
    }
    return quoted + "'";
}

// libpqxx 6.4's stream_to reports the server's error at the end of a COPY without its SQLSTATE
// (pg::error_message says so too). Such a message starts with "ERROR:", which libpq's own
// errors never do. The ones that pass are recognised by PostgreSQL's (English) words and
// handled as their SQLSTATE would be below; everything else is a server error like any other:
// the session is fine, the statement is not.
NextStep after_server_error_without_sqlstate(std::string_view message) {
    const auto says = [message](std::string_view words) {
        return message.find(words) != std::string_view::npos;
    };
    constexpr std::string_view batch_may_pass_next_time[] = {
        "could not serialize access",               // 40001
        "deadlock detected",                        // 40P01
        "canceling statement due to lock timeout",  // 55P03
        "for the live state's fold lock",           // 55P03, analytics.lock_live_state
    };
    constexpr std::string_view server_in_trouble[] = {
        "could not extend file",    // 53100 disk full, where a COPY's rows land
        "No space left on device",  // 53100
        "out of memory",            // 53200
    };
    if (std::any_of(std::begin(batch_may_pass_next_time), std::end(batch_may_pass_next_time),
                    says)) {
        return NextStep::retry_batch;
    }
    if (std::any_of(std::begin(server_in_trouble), std::end(server_in_trouble), says)) {
        return NextStep::new_session;
    }
    return NextStep::exit;
}

}  // namespace

OffsetBeyondEnd::OffsetBeyondEnd(const std::string& group, const events::TopicPartition& tp,
                                 int64_t stored, int64_t high)
    : std::runtime_error(fmt::format(
          "stored offset {} of group {} on {} is beyond the partition's end in Kafka (high "
          "watermark {}): the topic was recreated or its log truncated, and reading on would "
          "skip its messages, so nothing was read (to read the partition from its oldest "
          "message, delete its stored offset: DELETE FROM etl.consumer_offsets WHERE consumer "
          "= {} AND topic = {} AND partition = {}; see docs/operations.md)",
          stored, group, tp.to_string(), high, sql_literal(group), sql_literal(tp.topic),
          tp.partition)) {}

NextStep next_step(const std::exception& error) {
    // Answers that stay the same however often they are asked: the server refused the
    // connection (a wrong password, a database or role that does not exist), a topic does not
    // exist, a stored offset lies beyond Kafka's end. Retrying would loop for ever.
    if (dynamic_cast<const pg::ConnectionRefused*>(&error) != nullptr ||
        dynamic_cast<const kafka::TopicMissing*>(&error) != nullptr ||
        dynamic_cast<const OffsetBeyondEnd*>(&error) != nullptr) {
        return NextStep::exit;
    }
    // An instance whose row was deleted re-registers with all its connections at once.
    if (dynamic_cast<const FenceLost*>(&error) != nullptr ||
        dynamic_cast<const KafkaUnavailable*>(&error) != nullptr ||
        dynamic_cast<const pg::InstanceLost*>(&error) != nullptr) {
        return NextStep::new_session;
    }
    // libpqxx throws broken_connection whenever the connection is gone, whatever the statement's
    // own state, and for class 08 (connection exception) and 53300 (too_many_connections, a
    // subclass); in_doubt_error when it went during COMMIT: the fence makes the next session's
    // stored positions right either way.
    if (dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr ||
        dynamic_cast<const pqxx::in_doubt_error*>(&error) != nullptr) {
        return NextStep::new_session;
    }
    // 40001, 40P01: the other transaction goes on, and this one can run again.
    if (dynamic_cast<const pqxx::serialization_failure*>(&error) != nullptr ||
        dynamic_cast<const pqxx::deadlock_detected*>(&error) != nullptr) {
        return NextStep::retry_batch;
    }
    // 22 data exception: bad jsonb, a value out of range, an invalid byte sequence.
    if (dynamic_cast<const pqxx::data_exception*>(&error) != nullptr) {
        return NextStep::dead_letter;
    }
    const auto* sql_error = dynamic_cast<const pqxx::sql_error*>(&error);
    if (sql_error == nullptr) {
        return NextStep::exit;
    }
    const std::string& state = sql_error->sqlstate();
    if (state.empty() && std::string_view(sql_error->what()).starts_with("ERROR:")) {
        return after_server_error_without_sqlstate(sql_error->what());
    }
    // Otherwise no SQLSTATE: the error came from libpq, not the server (after a server crash
    // libpq may still call the connection open until the next call). 57P0x admin shutdown / crash
    // shutdown / cannot connect now, 53 insufficient resources (disk full, out of memory) have no
    // libpqxx class that says "reconnect"; an 08 that libpqxx reports as a plain sql_error is a
    // lost connection all the same.
    // 55P03: a lock waited for beyond lock_timeout (a hung peer not ended yet, a long
    // rebuild): nothing of the batch committed, and the lock may be free next time.
    if (state == "55P03") {
        return NextStep::retry_batch;
    }
    if (state.empty() || state.starts_with("57P") || state.starts_with("53") ||
        state.starts_with("08")) {
        return NextStep::new_session;
    }
    return NextStep::exit;
}

}  // namespace pinpipe::consume
