#include "pg/failpoint.hpp"

#include <pqxx/except>

namespace pinpipe::pg {

void throw_connection_lost_at(obs::Failpoint point) {
    throw pqxx::broken_connection(obs::failpoint_error_message(point) +
                                  " (as if the server had closed the connection unexpectedly)");
}

}  // namespace pinpipe::pg
