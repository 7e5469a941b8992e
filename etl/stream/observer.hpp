// What the streaming writer reports as it runs, for the metrics endpoint. Called on the
// consuming thread; every hook defaults to nothing.
#pragma once

#include <cstdint>
#include <map>

#include "events/topic_partition.hpp"
#include "events/validation.hpp"

namespace pinpipe::stream {

struct CommitReport {
    uint64_t messages = 0;
    uint64_t dead_letters = 0;
    double upsert_seconds = 0;  // the whole transaction: upserts, dead letters, offsets
};

class StreamObserver {
  public:
    virtual ~StreamObserver() = default;

    // One message taken from Kafka: valid (counted once its batch commits) or a dead letter.
    virtual void on_consumed(events::EventKind /*kind*/, bool /*valid*/) {}
    virtual void on_commit(const CommitReport& /*report*/) {}
    // End-to-end latency of one committed message: Kafka timestamp -> commit, in seconds.
    virtual void on_end_to_end_latency(double /*seconds*/) {}
    // Messages behind the high watermark, for every partition this instance owns now (the
    // previous snapshot's other partitions are no longer ours).
    virtual void on_lag(const std::map<events::TopicPartition, int64_t>& /*lag*/) {}
};

}  // namespace pinpipe::stream
