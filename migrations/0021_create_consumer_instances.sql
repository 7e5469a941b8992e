-- The registry of long-running consumers (pinpipe stream, load --follow) of DESIGN §8. Each
-- instance registers a row and holds a session advisory lock named after it on the connection
-- it claims partitions with; an instance is live exactly while that lock is held, so a killed
-- instance stops counting as soon as PostgreSQL notices its connection is gone. Every instance
-- then claims about partitions / live instances of its group, re-checking every few seconds.

CREATE TABLE etl.consumer_instances (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer     text        NOT NULL,
    host         text        NOT NULL,
    pid          int         NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    partitions   int         NOT NULL DEFAULT 0
);
CREATE INDEX consumer_instances_consumer_idx ON etl.consumer_instances (consumer, id);
COMMENT ON TABLE etl.consumer_instances IS 'Long-running consumers (pinpipe stream, load --follow) that share their group''s partitions; rows of dead instances are removed by the live ones';
COMMENT ON COLUMN etl.consumer_instances.id IS 'Instance id; also names the advisory lock the instance holds while it lives';
COMMENT ON COLUMN etl.consumer_instances.consumer IS 'The --group id whose partitions the instance shares';
COMMENT ON COLUMN etl.consumer_instances.host IS 'Host name of the machine the instance runs on';
COMMENT ON COLUMN etl.consumer_instances.pid IS 'Process id of the instance on that host';
COMMENT ON COLUMN etl.consumer_instances.started_at IS 'When the instance registered';
COMMENT ON COLUMN etl.consumer_instances.heartbeat_at IS 'When the instance last re-checked its share';
COMMENT ON COLUMN etl.consumer_instances.partitions IS 'Partitions the instance owned at its last heartbeat';

SELECT etl.grant_if_role_exists('pinpipe_loader', 'GRANT SELECT, INSERT, UPDATE, DELETE ON etl.consumer_instances TO %s');
