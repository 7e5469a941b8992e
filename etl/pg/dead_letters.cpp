#include "pg/dead_letters.hpp"

#include <string>
#include <vector>

#include "pg/copy_stream.hpp"

namespace pinpipe::pg {

void copy_dead_letters(pqxx::transaction_base& tx, std::string_view copy_text) {
    static const std::vector<std::string> columns = {"consumer",   "topic",           "partition",
                                                     "\"offset\"", "kafka_timestamp", "key",
                                                     "payload",    "reason",          "error"};
    copy_text_lines(tx, "etl.dead_letters", columns, split_copy_lines(copy_text));
}

}  // namespace pinpipe::pg
