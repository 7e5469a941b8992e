// Errors sorted once, by what the consumer does next (DESIGN §8), as libpqxx's except.hxx groups
// them: the engine, the batch writers and dead-letter replay all ask next_step() instead of
// testing SQLSTATEs of their own.
#pragma once

#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

#include "events/topic_partition.hpp"

namespace pinpipe::consume {

enum class NextStep {
    retry_batch,  // serialization failure or deadlock: nothing committed, run it again
    new_session,  // connection lost, server shutting down, too many connections, Kafka down,
                  // a lost fence, the instance's row deleted (pg::InstanceLost): new
                  // connections, registration, claims and positions after a backoff
    dead_letter,  // the data itself was rejected: the message becomes a dead letter
    exit,         // anything else (a missing table, a permission, a connection the server
                  // refused, a missing topic, a stored offset beyond Kafka's end): exit 1
};

std::string_view next_step_name(NextStep step);

// Another consumer moved a partition's stored offset while this one held its claim: the
// transaction rolled back, so nothing was written twice, but the session's positions are stale.
class FenceLost : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Kafka could not be reached for metadata or offsets.
class KafkaUnavailable : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// A partition's stored offset lies beyond its end in Kafka: the topic was deleted and created
// again, or its log truncated. Reading on would skip every message below the stored offset (and
// auto.offset.reset would deliver them only to be dropped as already read), so nothing of the
// partition is read until someone decides where it resumes: an exit, never a new session.
class OffsetBeyondEnd : public std::runtime_error {
  public:
    OffsetBeyondEnd(const std::string& group, const events::TopicPartition& tp, int64_t stored,
                    int64_t high);
};

NextStep next_step(const std::exception& error);

}  // namespace pinpipe::consume
