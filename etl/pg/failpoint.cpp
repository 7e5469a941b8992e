#include "pg/failpoint.hpp"

#include "pg/connection.hpp"

namespace pinpipe::pg {

void throw_connection_lost_at(obs::Failpoint point) {
    throw Error(obs::failpoint_error_message(point) +
                    " (as if the server had closed the connection unexpectedly)",
                "08006", /*connection_lost=*/true);
}

}  // namespace pinpipe::pg
