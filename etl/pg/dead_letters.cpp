#include "pg/dead_letters.hpp"

#include <pqxx/stream_to>

#include <stdexcept>
#include <tuple>

#include "pg/copy_encoding.hpp"

namespace pinpipe::pg {
namespace {

constexpr size_t dead_letter_columns = 9;

}  // namespace

std::vector<std::optional<std::string>> decode_copy_text_line(std::string_view line) {
    std::vector<std::optional<std::string>> fields;
    std::string field;
    const auto end_field = [&] {
        fields.emplace_back(field == "\\N" ? std::nullopt : std::optional<std::string>(field));
        field.clear();
    };
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (c == '\t') {
            end_field();
        } else if (c == '\\' && i + 1 < line.size() && line[i + 1] != 'N') {
            switch (line[++i]) {
                case 't':
                    field += '\t';
                    break;
                case 'n':
                    field += '\n';
                    break;
                case 'r':
                    field += '\r';
                    break;
                default:  // "\\" and anything else escaped stand for themselves
                    field += line[i];
            }
        } else {
            field += c;
        }
    }
    end_field();
    return fields;
}

void copy_dead_letters(pqxx::transaction_base& tx, std::string_view copy_text) {
    if (copy_text.empty()) {
        return;
    }
    // The rows are encoded once, as COPY text, while the batch is built (the stream engine keeps
    // them that way); stream_to wants fields, so they are decoded here. Dead letters are rare.
    static const std::vector<std::string> columns = {"consumer",   "topic",           "partition",
                                                     "\"offset\"", "kafka_timestamp", "key",
                                                     "payload",    "reason",          "error"};
    pqxx::stream_to stream(tx, "etl.dead_letters", columns);
    while (!copy_text.empty()) {
        const size_t end = copy_text.find('\n');
        const std::vector<std::optional<std::string>> fields =
            decode_copy_text_line(copy_text.substr(0, end));
        if (fields.size() != dead_letter_columns) {
            throw std::logic_error("a dead letter row of COPY text has the wrong field count");
        }
        const auto value = [&fields](size_t index) {
            return fields[index] ? fields[index]->c_str() : nullptr;
        };
        // libpqxx 6.4 streams tuples only.
        stream << std::make_tuple(value(0), value(1), value(2), value(3), value(4), value(5),
                                  value(6), value(7), value(8));
        copy_text.remove_prefix(end == std::string_view::npos ? copy_text.size() : end + 1);
    }
    stream.complete();
}

}  // namespace pinpipe::pg
