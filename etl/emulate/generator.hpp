// Emulated Pinterest-style events for `pinpipe emulate`: one pin, geo and user JSON text per
// ind, following the data contract (DESIGN §4). Pure and deterministic: no I/O, no clocks.
#pragma once

#include <cstdint>
#include <string>

namespace pinpipe::emulate {

struct GeneratedEvent {
    std::int64_t ind = 0;
    std::string pin;      // JSON object text (pinterest_data row)
    std::string geo;      // JSON object text (geolocation_data row)
    std::string user;     // JSON object text (user_data row)
    bool resent = false;  // true when this is a re-send of an earlier event (identical texts)
};

// The same seed gives a byte-identical sequence on every platform: all randomness comes from
// our own splitmix64 stream with integer range mapping (std:: distributions are
// implementation-defined), and no floating-point arithmetic happens at run time.
class EventGenerator {
  public:
    explicit EventGenerator(std::uint64_t seed);

    // The next event. About 2% of calls re-send one of the last 1,000 new events (a rate of our
    // choosing: no seed states one); every other call makes a new event with ind 0, 1, 2, ...
    GeneratedEvent next();

    // The new event with this ind (resent = false) exactly as next() makes it: a pure function
    // of the seed and ind, which is also how re-sends stay identical without storing texts.
    // Precondition: ind >= 0.
    GeneratedEvent event_at(std::int64_t ind) const;

    // The ind of the next new event, i.e. how many new (not re-sent) events next() has made.
    std::int64_t next_ind() const { return m_next_ind; }

  private:
    std::uint64_t m_event_seed;    // mixed seed; each event's content stream derives from it
    std::uint64_t m_stream_state;  // splitmix64 state deciding which calls re-send
    std::int64_t m_next_ind = 0;
};

}  // namespace pinpipe::emulate
