-- Comments on etl.consumer_instances that say whose lease applies (issue #27): an instance is
-- ended by another live instance of its group once its heartbeat is older than that other
-- instance's --claim-lease-ms, through etl.end_lapsed_instances; a cron load heartbeats (so it
-- can be ended) but never shares the group's partitions fairly.

COMMENT ON TABLE etl.consumer_instances IS 'Consumers of a group (pinpipe stream, load --follow, and cron loads while they run): followers share the group''s partitions; every instance heartbeats, and each heartbeat ends the sessions of the group''s instances whose heartbeat is older than the heartbeating instance''s --claim-lease-ms; rows of dead instances are removed by the live ones';
COMMENT ON COLUMN etl.consumer_instances.follows IS 'True for instances that share the group''s partitions fairly (stream, load --follow); false for a cron load, which claims partitions one by one and registers only so that the other instances can end it once its heartbeat lapses';
