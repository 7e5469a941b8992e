-- Cron loads register too (issue #17): a `pinpipe load` whose process hangs keeps its claims as
-- a hung follower does, so it heartbeats and is ended once its lease runs out like one. It does
-- not share the group's partitions fairly (it claims them one by one and exits), so the fair
-- share counts only the instances that follow. Every connection of an instance holds its
-- liveness lock in shared mode, so that ending a lapsed instance ends all its writers' sessions.
ALTER TABLE etl.consumer_instances ADD COLUMN follows boolean NOT NULL DEFAULT true;
COMMENT ON COLUMN etl.consumer_instances.follows IS 'True for instances that share the group''s partitions fairly (stream, load --follow); false for a cron load, registered only so that its lease can run out';
COMMENT ON TABLE etl.consumer_instances IS 'Consumers of a group (pinpipe stream, load --follow, and cron loads while they run): followers share the group''s partitions; every instance heartbeats and is ended by the others once its lease runs out; rows of dead instances are removed by the live ones';
COMMENT ON COLUMN etl.consumer_instances.heartbeat_at IS 'When the instance last heartbeat; once older than the --claim-lease-ms of another instance of its group, that instance ends every session of this one and its partitions are free';
