#include "consume/liveness.hpp"

namespace pinpipe::consume {

LivenessKeeper::LivenessKeeper(pg::Membership& membership, pg::Connection& cx,
                               std::chrono::milliseconds interval)
    : m_membership(membership), m_cx(cx), m_interval(interval), m_thread([this] { run(); }) {}

LivenessKeeper::~LivenessKeeper() {
    {
        const std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_one();
    m_thread.join();
}

void LivenessKeeper::rethrow_failure() {
    const std::lock_guard lock(m_mutex);
    if (m_failure) {
        std::rethrow_exception(m_failure);
    }
}

void LivenessKeeper::run() {
    std::unique_lock lock(m_mutex);
    while (!m_wake.wait_for(lock, m_interval, [this] { return m_stopping; })) {
        lock.unlock();
        try {
            if (m_membership.heartbeat(m_cx, m_owned.load()) > 0) {
                m_peers_ended.store(true);
            }
        } catch (...) {
            lock.lock();
            m_failure = std::current_exception();
            return;
        }
        lock.lock();
    }
}

}  // namespace pinpipe::consume
