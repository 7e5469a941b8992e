// JSON text for the generator: one object written field by field straight into a string, with
// the escaping, number and timestamp forms of the data set's rows. Exact about every byte (a
// float is "12.0", never "12" or "1.2e1"), which a DOM library's serializer is not, and faster.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pinpipe::emulate {

// Appends text as the body of a JSON string: escapes quote, backslash and control characters;
// UTF-8 passes through unchanged (valid JSON, and our tables are valid UTF-8).
void append_escaped(std::string& out, std::string_view text);
void append_int(std::string& out, std::int64_t value);
// "YYYY-MM-DD HH:MM:SS", UTC, from seconds since 1970-01-01 (years 1 to 9999).
void append_timestamp(std::string& out, std::int64_t seconds);
// A JSON float from 1e-4 units, shortest form but always with a fraction ("12.0", "-0.0532"),
// so that readers see a float: -899787 -> "-89.9787".
void append_fixed_e4(std::string& out, std::int32_t value_e4);

// Writes one JSON object field by field into a string. Keys are our own ASCII literals and are
// written without escaping.
class JsonObjectWriter {
  public:
    explicit JsonObjectWriter(std::string& out) : m_out(out) { m_out += '{'; }

    void add_int(std::string_view key, std::int64_t value) {
        add_key(key);
        append_int(m_out, value);
    }
    void add_string(std::string_view key, std::string_view value) {
        begin_string(key);
        append_escaped(m_out, value);
        end_string();
    }
    void add_degrees(std::string_view key, std::int32_t value_e4) {
        add_key(key);
        append_fixed_e4(m_out, value_e4);
    }
    void add_timestamp(std::string_view key, std::int64_t seconds) {
        begin_string(key);
        append_timestamp(m_out, seconds);
        end_string();
    }

    // A string value assembled from pieces, without a temporary string.
    void begin_string(std::string_view key) {
        add_key(key);
        m_out += '"';
    }
    void append(std::string_view piece) { append_escaped(m_out, piece); }
    void append_number(std::int64_t value) { append_int(m_out, value); }
    void end_string() { m_out += '"'; }

    void close() { m_out += '}'; }

  private:
    void add_key(std::string_view key) {
        if (!m_first) {
            m_out += ',';
        }
        m_first = false;
        m_out += '"';
        m_out += key;
        m_out += "\":";
    }

    std::string& m_out;
    bool m_first = true;
};

}  // namespace pinpipe::emulate
