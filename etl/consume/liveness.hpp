// The instance's heartbeat on a thread and connection of its own (DESIGN §8: liveness work
// never waits behind a batch). A consumer's writers may wait for minutes on what a hung peer
// holds (the live state's fold lock, realtime row locks); if the heartbeat waited with them, the
// peer would never be ended and the whole group would stall for as long as it hangs.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>

#include "pg/connection.hpp"
#include "pg/membership.hpp"

namespace pinpipe::consume {

class LivenessKeeper {
  public:
    // Heartbeats `membership` (joined already) every `interval` on `cx`, which it alone uses
    // from now on, until destroyed.
    LivenessKeeper(pg::Membership& membership, pg::Connection& cx,
                   std::chrono::milliseconds interval);
    ~LivenessKeeper();
    LivenessKeeper(const LivenessKeeper&) = delete;
    LivenessKeeper& operator=(const LivenessKeeper&) = delete;

    // What the next heartbeat records as owned (the consuming thread's count).
    void set_owned_partitions(size_t owned) { m_owned.store(owned); }
    // On the consuming thread: rethrows what ended the heartbeats (a lost connection, the
    // instance's row deleted), so that the session ends as it would have on its own thread.
    void rethrow_failure();
    // True once since the last call when a heartbeat ended a lapsed peer's sessions: its
    // partitions are free, worth a rebalance now rather than at the next interval.
    bool take_peers_ended() { return m_peers_ended.exchange(false); }

  private:
    void run();

    pg::Membership& m_membership;
    pg::Connection& m_cx;
    const std::chrono::milliseconds m_interval;
    std::atomic<size_t> m_owned{0};
    std::atomic<bool> m_peers_ended{false};
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stopping = false;       // guarded by m_mutex
    std::exception_ptr m_failure;  // guarded by m_mutex
    std::thread m_thread;          // last: starts once the rest exists
};

}  // namespace pinpipe::consume
