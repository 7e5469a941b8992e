// Runs jobs one after another on a thread of its own, in submission order; results and
// exceptions come back through futures. The loader's database connection lives on it, so that
// consuming and COPY overlap while every statement of a connection stays on one thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>

namespace pinpipe::util {

class SerialExecutor {
  public:
    SerialExecutor() : m_thread([this] { run(); }) {}
    ~SerialExecutor() {
        {
            const std::lock_guard lock(m_mutex);
            m_closing = true;
        }
        m_wake.notify_one();
        m_thread.join();
    }
    SerialExecutor(const SerialExecutor&) = delete;
    SerialExecutor& operator=(const SerialExecutor&) = delete;

    template <typename Job>
    auto submit(Job job) -> std::future<std::invoke_result_t<Job>> {
        auto task =
            std::make_shared<std::packaged_task<std::invoke_result_t<Job>()>>(std::move(job));
        auto result = task->get_future();
        {
            const std::lock_guard lock(m_mutex);
            m_jobs.emplace_back([task] { (*task)(); });
        }
        m_wake.notify_one();
        return result;
    }

  private:
    void run() {
        while (true) {
            std::function<void()> job;
            {
                std::unique_lock lock(m_mutex);
                m_wake.wait(lock, [this] { return m_closing || !m_jobs.empty(); });
                if (m_jobs.empty()) {
                    return;  // closing and drained
                }
                job = std::move(m_jobs.front());
                m_jobs.pop_front();
            }
            job();
        }
    }

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::function<void()>> m_jobs;
    bool m_closing = false;
    std::thread m_thread;  // last: starts after the members it uses exist
};

}  // namespace pinpipe::util
