#include "load/loader.hpp"

#include <malloc.h>

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "consume/engine.hpp"
#include "load/batch.hpp"
#include "load/batch_writer.hpp"
#include "obs/log.hpp"
#include "pg/connection.hpp"
#include "pg/copy_encoding.hpp"
#include "util/process.hpp"
#include "util/thousands.hpp"

namespace pinpipe::load {
namespace {

// What a load batch becomes: COPY rows in the staging tables.
class StagingSink final : public consume::BatchSink {
  public:
    StagingSink(const LoaderOptions& options, LoadSummary& summary)
        : m_options(options), m_summary(summary) {}

    std::unique_ptr<consume::Batch> new_batch() override { return std::make_unique<LoadBatch>(); }

    std::optional<events::Verdict> add(consume::Batch& batch,
                                       const consume::Message& msg) override {
        pg::StagingRows& rows = static_cast<LoadBatch&>(batch).rows[events::kind_index(msg.kind)];
        if (rows.empty()) {
            // Room for a whole batch up front: growing by doubling would copy it repeatedly.
            rows.reserve(m_options.max_batch_bytes + m_options.max_message_bytes +
                         pg::staging_row_overhead_bytes);
        }
        if (msg.origin.timestamp_ms && !pg::copy_timestamp_in_range(*msg.origin.timestamp_ms)) {
            warn_unstorable_timestamp(msg.origin);
        }
        rows.append(msg.origin, msg.payload);
        return std::nullopt;
    }

    pg::CommitOutcome commit(pqxx::connection_base& cx, const pg::OffsetStore& store,
                             consume::Batch& batch) override {
        auto& load_batch = static_cast<LoadBatch&>(batch);
        load_batch.written = commit_batch(cx, store, load_batch);
        return load_batch.written.outcome;
    }

    void committed(const consume::Batch& batch, const consume::CommitDone& /*done*/) override {
        const CommitResult& written = static_cast<const LoadBatch&>(batch).written;
        for (size_t kind = 0; kind < events::event_kind_count; ++kind) {
            m_summary.rows[kind] += written.rows[kind];
        }
        m_summary.dead_letters += written.dead_letters;
        m_messages += batch.messages();
        show_progress();
    }

    void planned(uint64_t messages_behind) override { m_behind = messages_behind; }
    bool wants_lag() const override { return m_options.progress != nullptr && m_options.follow; }
    void lag(const std::map<events::TopicPartition, int64_t>& lag) override {
        int64_t total = 0;
        for (const auto& [tp, behind] : lag) {
            total += behind;
        }
        m_lag = static_cast<uint64_t>(total);
        show_progress();
    }

  private:
    void show_progress() {
        if (m_options.progress == nullptr) {
            return;
        }
        obs::ProgressFigures figures;
        figures.label = "load";
        figures.unit = "messages";
        figures.done = m_messages;
        figures.total = m_behind;
        if (m_lag) {
            figures.extra = "lag " + util::group_thousands(static_cast<int64_t>(*m_lag));
        }
        m_options.progress->show(figures);
    }

    // Once per partition: a producer that writes nanoseconds does so for every message.
    void warn_unstorable_timestamp(const events::MessageOrigin& at) {
        if (!m_warned_partitions.emplace(std::string(at.topic), at.partition).second) {
            return;
        }
        obs::log_warning(
            "a Kafka timestamp lies outside the years PostgreSQL can store (1 to 294276: "
            "nanoseconds in the milliseconds field?); the message is loaded with kafka_timestamp "
            "NULL, and later ones of this partition are not logged",
            {{"topic", std::string(at.topic)},
             {"partition", std::to_string(at.partition)},
             {"offset", std::to_string(at.offset)},
             {"timestamp_ms", std::to_string(*at.timestamp_ms)}});
    }

    const LoaderOptions& m_options;
    LoadSummary& m_summary;
    uint64_t m_messages = 0;           // committed, dead letters included
    std::optional<uint64_t> m_behind;  // cron: what the run will read, once planned
    std::optional<uint64_t> m_lag;     // --follow: behind the high watermarks now
    std::set<std::pair<std::string, int32_t>> m_warned_partitions;
};

int64_t record_run_start(const LoaderOptions& options) {
    pg::Connection cx(options.dsn, "pinpipe-load");
    pqxx::nontransaction tx(cx);
    return tx
        .exec_params1("INSERT INTO etl.load_runs (consumer, host) VALUES ($1, $2) RETURNING id",
                      options.group, util::host_name())[0]
        .as<int64_t>();
}

void record_run_end(const LoaderOptions& options, int64_t run_id, const LoadSummary& summary,
                    const std::string& outcome, const std::string& detail) {
    try {
        pg::Connection cx(options.dsn, "pinpipe-load");
        pqxx::nontransaction(cx).exec_params(
            "UPDATE etl.load_runs SET finished_at = now(), pin_rows = $2, geo_rows = $3, "
            "user_rows = $4, dead_letters = $5, outcome = $6, detail = NULLIF($7, '') "
            "WHERE id = $1",
            run_id, summary.rows[0], summary.rows[1], summary.rows[2], summary.dead_letters,
            outcome, detail);
    } catch (const std::exception& error) {
        obs::log_warning("could not record the end of the load run in etl.load_runs",
                         {{"run", std::to_string(run_id)}, {"error", pg::error_message(error)}});
    }
}

}  // namespace

LoadSummary run_load(const LoaderOptions& options) {
    // Batches and Kafka fetch buffers are megabytes each and come and go all run long. glibc
    // would map each afresh and unmap it on free, so every byte loaded would cost a page fault;
    // served from the heap instead, their pages are reused. Peak memory is bounded by the batch
    // sizes either way.
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    const int64_t run_id = record_run_start(options);
    LoadSummary summary;
    summary.run_id = run_id;
    const auto started = std::chrono::steady_clock::now();
    try {
        StagingSink sink(options, summary);
        const consume::ConsumerRun run = consume::run_consumer(options, sink);
        summary.partitions_read = run.partitions_read;
        summary.stopped_by_signal = run.stopped_by_signal;
    } catch (const std::exception& error) {
        record_run_end(options, run_id, summary, "failed", pg::error_message(error));
        throw;
    }
    summary.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    record_run_end(options, run_id, summary, summary.stopped_by_signal ? "stopped" : "ok", "");
    return summary;
}

}  // namespace pinpipe::load
