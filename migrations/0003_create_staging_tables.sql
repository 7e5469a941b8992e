-- Lossless staging of every Kafka message: its coordinates and its payload as jsonb.
-- The unique (topic, partition, offset) is the last line of defence against double loading.

CREATE TABLE staging.pin_events (
    kafka_topic     text        NOT NULL,
    kafka_partition int         NOT NULL,
    kafka_offset    bigint      NOT NULL,
    kafka_timestamp timestamptz,
    kafka_key       bytea,
    payload         jsonb       NOT NULL,
    loaded_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kafka_topic, kafka_partition, kafka_offset)
);
CREATE TABLE staging.geo_events (LIKE staging.pin_events INCLUDING ALL);
CREATE TABLE staging.user_events (LIKE staging.pin_events INCLUDING ALL);

COMMENT ON TABLE staging.pin_events IS 'Every pin message loaded from <prefix>.pin, as delivered';
COMMENT ON TABLE staging.geo_events IS 'Every geolocation message loaded from <prefix>.geo, as delivered';
COMMENT ON TABLE staging.user_events IS 'Every user message loaded from <prefix>.user, as delivered';

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['pin_events', 'geo_events', 'user_events'] LOOP
        EXECUTE format('COMMENT ON COLUMN staging.%I.kafka_topic IS %L', t, 'Kafka topic the message came from');
        EXECUTE format('COMMENT ON COLUMN staging.%I.kafka_partition IS %L', t, 'Kafka partition');
        EXECUTE format('COMMENT ON COLUMN staging.%I.kafka_offset IS %L', t, 'Kafka offset within the partition');
        EXECUTE format('COMMENT ON COLUMN staging.%I.kafka_timestamp IS %L', t, 'Kafka message timestamp');
        EXECUTE format('COMMENT ON COLUMN staging.%I.kafka_key IS %L', t, 'Raw message key (the ind as decimal text when produced by pinpipe)');
        EXECUTE format('COMMENT ON COLUMN staging.%I.payload IS %L', t, 'The message value, parsed as JSON');
        EXECUTE format('COMMENT ON COLUMN staging.%I.loaded_at IS %L', t, 'When pinpipe load committed the row');
    END LOOP;
END
$$;

SELECT etl.grant_if_role_exists('pinpipe_loader', 'GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA staging TO %s');
