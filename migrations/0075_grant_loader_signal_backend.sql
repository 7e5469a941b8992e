-- Claim leases (DESIGN §8, issue #17): a long-running consumer whose process hangs keeps its
-- PostgreSQL session and with it its partition claims, so the live instances of its group end
-- that session with pg_terminate_backend once its heartbeat is older than --claim-lease-ms.
-- PostgreSQL lets a session end another only when its role has the privileges of the other's
-- role, or those of pg_signal_backend (which still cannot end a superuser's session). Consumers
-- that log in as different roles granted pinpipe_loader need the latter. Granting it needs
-- CREATEROLE (or superuser); without it the migration only says so, and a consumer that may not
-- end a hung one logs a warning instead.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'pinpipe_loader') THEN
        GRANT pg_signal_backend TO pinpipe_loader;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'could not grant pg_signal_backend to pinpipe_loader (%); consumers that log in as different roles cannot take over a hung instance''s partitions: run GRANT pg_signal_backend TO pinpipe_loader as a superuser', SQLERRM;
END
$$;
COMMENT ON COLUMN etl.consumer_instances.heartbeat_at IS 'When the instance last re-checked its share; once older than its --claim-lease-ms the other instances end its session and take its partitions';
