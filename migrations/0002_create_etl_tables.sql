-- Bookkeeping tables of §5: consumer offsets (the exactly-once fence), dead letters, load runs.
-- etl.schema_migrations is created by the migration runner itself before anything is applied.

CREATE TABLE etl.consumer_offsets (
    consumer    text   NOT NULL,
    topic       text   NOT NULL,
    partition   int    NOT NULL,
    next_offset bigint NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, topic, partition)
);
COMMENT ON TABLE etl.consumer_offsets IS 'Next Kafka offset to read per consumer group, topic and partition; written in the same transaction as the rows it accounts for';
COMMENT ON COLUMN etl.consumer_offsets.consumer IS 'The --group id (pinpipe-load, pinpipe-stream, ...)';
COMMENT ON COLUMN etl.consumer_offsets.topic IS 'Kafka topic';
COMMENT ON COLUMN etl.consumer_offsets.partition IS 'Kafka partition';
COMMENT ON COLUMN etl.consumer_offsets.next_offset IS 'Offset of the next message to read (everything before it is committed here)';
COMMENT ON COLUMN etl.consumer_offsets.updated_at IS 'When the offset last moved';

CREATE TABLE etl.dead_letters (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer    text   NOT NULL,
    topic       text   NOT NULL,
    partition   int    NOT NULL,
    "offset"    bigint NOT NULL,
    key         bytea,
    payload     bytea,
    reason      text   NOT NULL,
    error       text   NOT NULL,
    kafka_timestamp timestamptz,
    failed_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (consumer, topic, partition, "offset")
);
COMMENT ON TABLE etl.dead_letters IS 'Messages that could not be loaded, byte for byte, with the reason; see pinpipe dlq';
COMMENT ON COLUMN etl.dead_letters.id IS 'Surrogate key';
COMMENT ON COLUMN etl.dead_letters.consumer IS 'The --group id of the consumer that rejected the message';
COMMENT ON COLUMN etl.dead_letters.topic IS 'Kafka topic';
COMMENT ON COLUMN etl.dead_letters.partition IS 'Kafka partition';
COMMENT ON COLUMN etl.dead_letters."offset" IS 'Kafka offset';
COMMENT ON COLUMN etl.dead_letters.key IS 'Raw message key bytes (NULL when the message had none)';
COMMENT ON COLUMN etl.dead_letters.payload IS 'Raw message value bytes (NULL when the message had none)';
COMMENT ON COLUMN etl.dead_letters.reason IS 'Machine-readable reason: empty, too_large, invalid_json, not_object, missing_ind, non_integer_ind, unsupported_json, rejected_by_postgres';
COMMENT ON COLUMN etl.dead_letters.error IS 'Human-readable description of what was wrong';
COMMENT ON COLUMN etl.dead_letters.kafka_timestamp IS 'Kafka message timestamp';
COMMENT ON COLUMN etl.dead_letters.failed_at IS 'When the message was rejected';
CREATE INDEX dead_letters_reason_idx ON etl.dead_letters (reason, failed_at);

CREATE TABLE etl.load_runs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer      text   NOT NULL,
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    pin_rows      bigint NOT NULL DEFAULT 0,
    geo_rows      bigint NOT NULL DEFAULT 0,
    user_rows     bigint NOT NULL DEFAULT 0,
    dead_letters  bigint NOT NULL DEFAULT 0,
    outcome       text   NOT NULL DEFAULT 'running',
    detail        text,
    host          text
);
COMMENT ON TABLE etl.load_runs IS 'One row per pinpipe load invocation';
COMMENT ON COLUMN etl.load_runs.id IS 'Surrogate key';
COMMENT ON COLUMN etl.load_runs.consumer IS 'The --group id the run loaded under';
COMMENT ON COLUMN etl.load_runs.started_at IS 'When the run started';
COMMENT ON COLUMN etl.load_runs.finished_at IS 'When the run ended (NULL while running or after a crash)';
COMMENT ON COLUMN etl.load_runs.pin_rows IS 'Rows loaded into staging.pin_events';
COMMENT ON COLUMN etl.load_runs.geo_rows IS 'Rows loaded into staging.geo_events';
COMMENT ON COLUMN etl.load_runs.user_rows IS 'Rows loaded into staging.user_events';
COMMENT ON COLUMN etl.load_runs.dead_letters IS 'Messages sent to etl.dead_letters';
COMMENT ON COLUMN etl.load_runs.outcome IS 'running, ok or failed';
COMMENT ON COLUMN etl.load_runs.detail IS 'Why a run failed';
COMMENT ON COLUMN etl.load_runs.host IS 'Host name of the machine that ran the load';

SELECT etl.grant_if_role_exists('pinpipe_loader', 'GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA etl TO %s');
