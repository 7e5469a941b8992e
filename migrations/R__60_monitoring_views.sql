-- Repeatable (pinpipe migrate applies it again whenever this file changes): pipeline health for
-- BI tools and dashboards (Grafana) in schema monitoring: freshness, consumer progress, load
-- runs, and dead letters per reason and per hour. The views run with their owner's rights over
-- staging and etl, which stay closed to pinpipe_reader; they show counts and timestamps only,
-- never a payload. pinpipe_reader may SELECT them (and, through the default privileges of 0060,
-- whatever the migrating role creates in monitoring later).

-- The newest row of each Kafka partition is the one with the highest offset. The unique key
-- (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp) of a staging table is an index on
-- each of its day partitions and on its default partition (0031): ORDER BY kafka_offset DESC
-- LIMIT 1 reads the top of each of those indexes (a Merge Append of backward index scans), one
-- probe per partition, whereas max(kafka_timestamp) over a staging table would read all of its
-- history.
CREATE OR REPLACE VIEW monitoring.freshness AS
WITH partitions AS (
    SELECT DISTINCT o.topic, o.partition FROM etl.consumer_offsets o
), newest AS (
    SELECT p.topic, n.kafka_timestamp, n.loaded_at
    FROM partitions p
    LEFT JOIN LATERAL (
        (SELECT s.kafka_timestamp, s.loaded_at FROM staging.pin_events s
         WHERE s.kafka_topic = p.topic AND s.kafka_partition = p.partition
         ORDER BY s.kafka_offset DESC LIMIT 1)
        UNION ALL
        (SELECT s.kafka_timestamp, s.loaded_at FROM staging.geo_events s
         WHERE s.kafka_topic = p.topic AND s.kafka_partition = p.partition
         ORDER BY s.kafka_offset DESC LIMIT 1)
        UNION ALL
        (SELECT s.kafka_timestamp, s.loaded_at FROM staging.user_events s
         WHERE s.kafka_topic = p.topic AND s.kafka_partition = p.partition
         ORDER BY s.kafka_offset DESC LIMIT 1)
    ) n ON true
)
SELECT newest.topic,
       max(newest.kafka_timestamp) AS newest_kafka_timestamp,
       max(newest.loaded_at) AS newest_loaded_at,
       extract(epoch FROM now() - max(newest.kafka_timestamp))::double precision AS age_seconds,
       extract(epoch FROM max(newest.loaded_at) - max(newest.kafka_timestamp))::double precision AS load_delay_seconds
FROM newest
GROUP BY newest.topic;
COMMENT ON VIEW monitoring.freshness IS
    'Per Kafka topic a consumer has stored offsets for: the newest message loaded into staging and how old it is. An old age alone does not mean the pipeline is behind: maybe no events arrived (pinpipe status compares with Kafka''s watermarks)';
COMMENT ON COLUMN monitoring.freshness.topic IS 'Kafka topic';
COMMENT ON COLUMN monitoring.freshness.newest_kafka_timestamp IS 'Kafka timestamp of the newest message loaded into staging (NULL when nothing was loaded)';
COMMENT ON COLUMN monitoring.freshness.newest_loaded_at IS 'When the transaction that wrote the newest staging row started (staging.*.loaded_at)';
COMMENT ON COLUMN monitoring.freshness.age_seconds IS 'now() - newest_kafka_timestamp, in seconds';
COMMENT ON COLUMN monitoring.freshness.load_delay_seconds IS 'newest_loaded_at - newest_kafka_timestamp, in seconds: the two maxima over the topic''s partitions (each partition''s highest-offset row), which may come from different messages';

CREATE OR REPLACE VIEW monitoring.consumer_progress AS
SELECT o.consumer,
       o.topic,
       count(*)::int AS partitions,
       sum(o.next_offset)::bigint AS committed_messages,
       max(o.updated_at) AS last_progress_at,
       extract(epoch FROM now() - max(o.updated_at))::double precision AS seconds_since_progress
FROM etl.consumer_offsets o
GROUP BY o.consumer, o.topic;
COMMENT ON VIEW monitoring.consumer_progress IS
    'Per consumer group (pinpipe load, pinpipe stream) and topic: how far its offsets stored in Postgres have come and when they last moved. Lag in messages needs Kafka''s watermarks: pinpipe status, or the Prometheus alerts of deploy/';
COMMENT ON COLUMN monitoring.consumer_progress.consumer IS 'The --group id';
COMMENT ON COLUMN monitoring.consumer_progress.topic IS 'Kafka topic';
COMMENT ON COLUMN monitoring.consumer_progress.partitions IS 'Partitions the group has stored an offset for';
COMMENT ON COLUMN monitoring.consumer_progress.committed_messages IS 'Sum of the next offsets over those partitions: grows by one per message read';
COMMENT ON COLUMN monitoring.consumer_progress.last_progress_at IS 'When an offset of the group on this topic last moved';
COMMENT ON COLUMN monitoring.consumer_progress.seconds_since_progress IS 'now() - last_progress_at, in seconds';

CREATE OR REPLACE VIEW monitoring.load_runs AS
SELECT r.id,
       r.consumer,
       r.host,
       r.started_at,
       r.finished_at,
       extract(epoch FROM r.finished_at - r.started_at)::double precision AS seconds,
       r.pin_rows,
       r.geo_rows,
       r.user_rows,
       r.dead_letters,
       r.outcome,
       r.detail
FROM etl.load_runs r;
COMMENT ON VIEW monitoring.load_runs IS
    'One row per pinpipe load invocation (etl.load_runs): when, how long, rows per topic, dead letters and outcome';
COMMENT ON COLUMN monitoring.load_runs.id IS 'Run number';
COMMENT ON COLUMN monitoring.load_runs.consumer IS 'The --group id the run loaded under';
COMMENT ON COLUMN monitoring.load_runs.host IS 'Host name of the machine that ran the load';
COMMENT ON COLUMN monitoring.load_runs.started_at IS 'When the run started';
COMMENT ON COLUMN monitoring.load_runs.finished_at IS 'When the run ended (NULL while running or after a crash)';
COMMENT ON COLUMN monitoring.load_runs.seconds IS 'How long the run took (NULL while running or after a crash)';
COMMENT ON COLUMN monitoring.load_runs.pin_rows IS 'Rows loaded into staging.pin_events';
COMMENT ON COLUMN monitoring.load_runs.geo_rows IS 'Rows loaded into staging.geo_events';
COMMENT ON COLUMN monitoring.load_runs.user_rows IS 'Rows loaded into staging.user_events';
COMMENT ON COLUMN monitoring.load_runs.dead_letters IS 'Messages the run sent to the dead letters';
COMMENT ON COLUMN monitoring.load_runs.outcome IS 'running (or crashed), ok, stopped (a --follow run ended by SIGTERM/SIGINT) or failed';
COMMENT ON COLUMN monitoring.load_runs.detail IS 'Why a run failed';

CREATE OR REPLACE VIEW monitoring.dead_letters_per_reason AS
SELECT d.consumer,
       d.topic,
       d.reason,
       count(*)::bigint AS messages,
       min(d.failed_at) AS first_failed_at,
       max(d.failed_at) AS last_failed_at
FROM etl.dead_letters d
GROUP BY d.consumer, d.topic, d.reason;
COMMENT ON VIEW monitoring.dead_letters_per_reason IS
    'Messages that could not be loaded, counted per consumer, topic and reason (payloads stay in etl.dead_letters: inspect and replay them with pinpipe dlq)';
COMMENT ON COLUMN monitoring.dead_letters_per_reason.consumer IS 'The --group id of the consumer that rejected the messages';
COMMENT ON COLUMN monitoring.dead_letters_per_reason.topic IS 'Kafka topic';
COMMENT ON COLUMN monitoring.dead_letters_per_reason.reason IS 'Machine-readable reason: empty, too_large, invalid_json, not_object, missing_ind, non_integer_ind, unsupported_json, timestamp_out_of_range, rejected_by_postgres, or unknown_kind (pinpipe import: a record of no known event kind)';
COMMENT ON COLUMN monitoring.dead_letters_per_reason.messages IS 'How many messages';
COMMENT ON COLUMN monitoring.dead_letters_per_reason.first_failed_at IS 'When the first of them was rejected';
COMMENT ON COLUMN monitoring.dead_letters_per_reason.last_failed_at IS 'When the last of them was rejected';

CREATE OR REPLACE VIEW monitoring.dead_letters_per_hour AS
SELECT d.consumer,
       d.topic,
       d.reason,
       date_trunc('hour', d.failed_at) AS hour,
       count(*)::bigint AS messages
FROM etl.dead_letters d
GROUP BY d.consumer, d.topic, d.reason, date_trunc('hour', d.failed_at);
COMMENT ON VIEW monitoring.dead_letters_per_hour IS
    'Messages that could not be loaded, counted per consumer, topic, reason and hour they were rejected in';
COMMENT ON COLUMN monitoring.dead_letters_per_hour.consumer IS 'The --group id of the consumer that rejected the messages';
COMMENT ON COLUMN monitoring.dead_letters_per_hour.topic IS 'Kafka topic';
COMMENT ON COLUMN monitoring.dead_letters_per_hour.reason IS 'Machine-readable reason (as in monitoring.dead_letters_per_reason)';
COMMENT ON COLUMN monitoring.dead_letters_per_hour.hour IS 'The hour the messages were rejected in';
COMMENT ON COLUMN monitoring.dead_letters_per_hour.messages IS 'How many messages';

SELECT etl.grant_if_role_exists('pinpipe_reader', 'GRANT SELECT ON ALL TABLES IN SCHEMA monitoring TO %s');
