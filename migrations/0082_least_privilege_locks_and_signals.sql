-- Least privilege (DESIGN §5, issue #24): nobody outside pinpipe's roles can take or hold
-- pinpipe's locks, the loader writes only what loading needs, and ending a lapsed instance needs
-- no cluster-wide power.
--
-- 1. Advisory locks. pinpipe's claims, liveness locks, fold lock and migration lock are
-- advisory locks on keys anyone can compute (hashtextextended of a readable name), and
-- pg_advisory_* are executable by PUBLIC: a BI login could take the fold lock and stop every
-- load. Row locks would need UPDATE on a table, but they cannot outlive a transaction, and a
-- claim must live as long as its connection. So the advisory-lock functions are revoked from
-- PUBLIC in this database (function privileges are per database: other databases of the
-- cluster keep theirs) and granted to pinpipe_loader and the database owner. Revoking needs the
-- functions' owner (the bootstrap superuser): migrated by anyone else, this step only warns.
DO $$
DECLARE
    lock_function regprocedure;
    database_owner text := (SELECT pg_catalog.pg_get_userbyid(d.datdba)
                            FROM pg_catalog.pg_database d
                            WHERE d.datname = pg_catalog.current_database());
BEGIN
    FOR lock_function IN
        SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
        WHERE p.pronamespace = 'pg_catalog'::regnamespace
          AND (p.proname LIKE 'pg\_advisory\_%' OR p.proname LIKE 'pg\_try\_advisory\_%')
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', lock_function);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', lock_function, database_owner);
        PERFORM etl.grant_if_role_exists('pinpipe_loader',
                                         format('GRANT EXECUTE ON FUNCTION %s TO %%s', lock_function));
        IF pg_catalog.has_function_privilege('public', lock_function, 'EXECUTE') THEN
            RAISE WARNING 'could not revoke % from PUBLIC: only its owner or a superuser can; until a superuser runs REVOKE EXECUTE ON FUNCTION % FROM PUBLIC (for each pg_advisory_* and pg_try_advisory_* function) in this database, any login can take pinpipe''s locks and stall its loads',
                lock_function, lock_function;
        END IF;
    END LOOP;
END
$$;

-- 2. The fold lock's wait is bounded by the waiter's lock_timeout (pinpipe load and stream set
-- --lock-timeout-ms) and, past it, the error names who holds the lock: a hung peer that its
-- lease has not ended yet, a refresh --rebuild, an administrator's open transaction.
CREATE OR REPLACE FUNCTION analytics.lock_live_state()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    fold_lock constant bigint := hashtextextended('pinpipe/live-state', 0);
    holder record;
BEGIN
    PERFORM pg_advisory_xact_lock(fold_lock);
EXCEPTION WHEN lock_not_available THEN
    -- A bigint advisory key shows in pg_locks as classid (high 32 bits) and objid (low 32).
    SELECT a.pid, a.usename, a.application_name,
           date_trunc('second', now() - a.xact_start) AS in_transaction
    INTO holder
    FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.classid::bigint = ((fold_lock >> 32) & 4294967295)
      AND l.objid::bigint = (fold_lock & 4294967295)
    LIMIT 1;
    IF holder.pid IS NULL THEN
        -- Released between the timeout and this look: the batch simply runs again.
        RAISE EXCEPTION 'waited longer than lock_timeout (%) for the live state''s fold lock, which its holder has released since',
                current_setting('lock_timeout')
            USING ERRCODE = 'lock_not_available';
    END IF;
    RAISE EXCEPTION 'waited longer than lock_timeout (%) for the live state''s fold lock, held by pid % (role %, application_name "%", in its transaction for %)',
            current_setting('lock_timeout'), holder.pid, holder.usename, holder.application_name,
            holder.in_transaction
        USING ERRCODE = 'lock_not_available',
              HINT = 'a pinpipe consumer ends a hung peer once its --claim-lease-ms runs out; anything else holding the lock must commit or be ended (pg_terminate_backend)';
END
$$;
COMMENT ON FUNCTION analytics.lock_live_state() IS
    'Takes the transaction-level advisory lock that serializes every change to clean.* and the analytics counts; a wait beyond lock_timeout fails naming the session that holds it';
REVOKE ALL ON FUNCTION analytics.lock_live_state() FROM PUBLIC;

-- 3. Ending a lapsed instance. The loader held pg_signal_backend (0075), with which any loader
-- login could end every non-superuser session of the cluster. Now one SECURITY DEFINER function
-- ends only the backends that hold the liveness lock of an instance of the given group whose
-- heartbeat is older than the lease, and the right to signal stays with its owner.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'pinpipe_loader') THEN
        REVOKE pg_signal_backend FROM pinpipe_loader;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'could not revoke pg_signal_backend from pinpipe_loader (%): run REVOKE pg_signal_backend FROM pinpipe_loader as a superuser', SQLERRM;
END
$$;

DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('GRANT pg_signal_backend TO %I', current_user);
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'could not grant pg_signal_backend to % (%): consumers that log in as different roles cannot end a hung instance''s sessions until a superuser runs GRANT pg_signal_backend TO %',
        current_user, SQLERRM, current_user;
END
$$;

CREATE FUNCTION etl.end_lapsed_instances(consumer_group text, own_instance bigint, lease_ms bigint)
RETURNS integer
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- pg_terminate_backend waits up to a second for each backend to exit, so that the caller's
    -- next look sees the lapsed instance's partitions free.
    SELECT count(*) FILTER (WHERE pg_terminate_backend(l.pid, 1000))::integer
    FROM etl.consumer_instances i
    JOIN pg_locks l
      ON l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
     AND l.classid::bigint = ((hashtextextended('pinpipe-instance/' || i.consumer || '/' || i.id::text, 0) >> 32) & 4294967295)
     AND l.objid::bigint = (hashtextextended('pinpipe-instance/' || i.consumer || '/' || i.id::text, 0) & 4294967295)
    WHERE i.consumer = consumer_group AND i.id <> own_instance
      AND i.heartbeat_at < now() - lease_ms * interval '1 millisecond'
      AND l.pid <> pg_backend_pid()
$$;
COMMENT ON FUNCTION etl.end_lapsed_instances(text, bigint, bigint) IS
    'Ends the sessions of the consumer instances of a group (other than own_instance) whose heartbeat is older than lease_ms, and no other session; returns how many it ended';
REVOKE ALL ON FUNCTION etl.end_lapsed_instances(text, bigint, bigint) FROM PUBLIC;
SELECT etl.grant_if_role_exists('pinpipe_loader',
                                'GRANT EXECUTE ON FUNCTION etl.end_lapsed_instances(text, bigint, bigint) TO %s');
COMMENT ON COLUMN etl.consumer_instances.heartbeat_at IS
    'When the instance last heartbeat (every few seconds, on a thread of its own); once older than the --claim-lease-ms of a live instance of its group, that instance ends its sessions through etl.end_lapsed_instances';

-- 4. What the loader writes. The migration runner alone writes etl.schema_migrations: a loader
-- that could mark a migration applied would make migrate skip it. And rows typed straight into
-- a staging partition would skip the parent's statement trigger, so clean.* and the answers
-- would drift from staging: the loader may insert into the three parents only (PostgreSQL
-- checks a routed row's privileges on the parent alone), not into any partition, present or
-- made later by etl.make_staging_partitions. Refused rather than folded: a trigger on every
-- partition would be a second path into the live state for a write nobody needs.
SELECT etl.grant_if_role_exists('pinpipe_loader', 'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON etl.schema_migrations FROM %s');
SELECT etl.grant_if_role_exists('pinpipe_loader', 'ALTER DEFAULT PRIVILEGES IN SCHEMA staging REVOKE INSERT, UPDATE ON TABLES FROM %s');
DO $$
DECLARE
    staging_partition regclass;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'pinpipe_loader') THEN
        RETURN;
    END IF;
    FOR staging_partition IN
        SELECT i.inhrelid::regclass FROM pg_catalog.pg_inherits i
        WHERE i.inhparent IN ('staging.pin_events'::regclass, 'staging.geo_events'::regclass,
                              'staging.user_events'::regclass)
    LOOP
        EXECUTE format('REVOKE INSERT, UPDATE ON %s FROM pinpipe_loader', staging_partition);
    END LOOP;
    GRANT SELECT, INSERT ON staging.pin_events, staging.geo_events, staging.user_events TO pinpipe_loader;
END
$$;
