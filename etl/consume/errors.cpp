#include "consume/errors.hpp"

#include <string>

#include "pg/connection.hpp"

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

NextStep next_step(const std::exception& error) {
    if (dynamic_cast<const FenceLost*>(&error) != nullptr ||
        dynamic_cast<const KafkaUnavailable*>(&error) != nullptr) {
        return NextStep::new_session;
    }
    const auto* pg_error = dynamic_cast<const pg::Error*>(&error);
    if (pg_error == nullptr) {
        return NextStep::exit;
    }
    if (pg_error->connection_lost()) {
        return NextStep::new_session;
    }
    const std::string& state = pg_error->sqlstate();
    // 40001 serialization_failure, 40P01 deadlock_detected: the other transaction goes on.
    if (state == "40001" || state == "40P01") {
        return NextStep::retry_batch;
    }
    // 08 connection exception, 57P0x admin shutdown / crash shutdown / cannot connect now,
    // 53 insufficient resources (too many connections, disk full, out of memory).
    if (state.starts_with("08") || state.starts_with("57P") || state.starts_with("53")) {
        return NextStep::new_session;
    }
    // 22 data exception: bad jsonb, a value out of range, an invalid byte sequence.
    if (state.starts_with("22")) {
        return NextStep::dead_letter;
    }
    return NextStep::exit;
}

}  // namespace pinpipe::consume
