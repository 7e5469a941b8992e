-- Repeatable (pinpipe migrate applies it again whenever this file changes): how a consumer
-- instance ends the sessions of a lapsed one (DESIGN §8). Each instance heartbeats
-- etl.consumer_instances on a thread of its own; a heartbeat calls this function, which ends
-- only the backends holding the liveness lock of another instance of the same group whose
-- heartbeat is older than the caller's lease (--claim-lease-ms), and no other session. SECURITY
-- DEFINER with a fixed search_path, so that the right to signal stays with its owner and no
-- pinpipe role needs pg_signal_backend; EXECUTE for pinpipe_loader only.

CREATE OR REPLACE FUNCTION etl.end_lapsed_instances(consumer_group text, own_instance bigint, lease_ms bigint)
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

