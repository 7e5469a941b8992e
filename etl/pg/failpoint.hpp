// Failpoints on PostgreSQL write paths (load and stream): their `error` action throws what libpqxx
// throws for a lost connection (pqxx::broken_connection), the fault a server crash or a network cut
// causes there, so that the engines handle it exactly as they handle the real one.
#pragma once

#include <optional>

#include "obs/failpoints.hpp"

namespace pinpipe::pg {

[[noreturn]] void throw_connection_lost_at(obs::Failpoint point);

inline void failpoint(obs::Failpoint point) {
    if (obs::failpoint_armed(point)) [[unlikely]] {
        if (obs::detail::fire_failpoint(point)) {
            throw_connection_lost_at(point);
        }
    }
}

// A point its caller may leave unset: the consumer engine's, which the command running it names.
inline void failpoint(std::optional<obs::Failpoint> point) {
    if (point) {
        pg::failpoint(*point);
    }
}

}  // namespace pinpipe::pg
