-- Least privilege (DESIGN §5): no login outside pinpipe's roles takes pinpipe's locks, the loader
-- writes only what loading needs, and ending a lapsed instance goes through one function.
BEGIN;
SELECT plan(25);

-- The reader takes none of pinpipe's locks: not the fold lock, not a claim, not the migration
-- lock, whatever the function (session or transaction level, blocking or not).
SET LOCAL ROLE pinpipe_reader;
SELECT throws_ok($$SELECT pg_advisory_lock(hashtextextended('pinpipe/live-state', 0))$$, '42501', NULL,
                 'the reader cannot take the fold lock for its session');
SELECT throws_ok($$SELECT pg_advisory_xact_lock(hashtextextended('pinpipe/live-state', 0))$$, '42501', NULL,
                 'the reader cannot take the fold lock for its transaction');
SELECT throws_ok($$SELECT pg_try_advisory_lock(hashtextextended('pinpipe/pinpipe-load/p.pin/0', 0))$$, '42501', NULL,
                 'the reader cannot take a partition claim');
SELECT throws_ok($$SELECT pg_advisory_lock_shared(hashtextextended('pinpipe-instance/pinpipe-load/1', 0))$$, '42501', NULL,
                 'the reader cannot take an instance''s liveness lock');
SELECT throws_ok($$SELECT pg_try_advisory_xact_lock_shared(1, 2)$$, '42501', NULL,
                 'the reader cannot take the int4 forms either');
SELECT throws_ok($$SELECT analytics.lock_live_state()$$, '42501', NULL,
                 'the reader cannot take the fold lock through analytics.lock_live_state');
SELECT throws_ok($$SELECT ind FROM clean.pins FOR SHARE$$, '42501', NULL,
                 'the reader cannot lock rows of the clean tables');
SELECT throws_ok($$SELECT etl.end_lapsed_instances('pinpipe-load', 0, 0)$$, '42501', NULL,
                 'the reader cannot end consumer sessions');
RESET ROLE;

SELECT is((SELECT count(*)::int FROM pg_proc p
           WHERE p.pronamespace = 'pg_catalog'::regnamespace
             AND (p.proname LIKE 'pg\_advisory\_%' OR p.proname LIKE 'pg\_try\_advisory\_%')
             AND has_function_privilege('public', p.oid, 'EXECUTE')), 0,
          'no advisory-lock function is executable by PUBLIC in this database');
SELECT is((SELECT count(*)::int FROM pg_proc p
           WHERE p.pronamespace = 'pg_catalog'::regnamespace
             AND (p.proname LIKE 'pg\_advisory\_%' OR p.proname LIKE 'pg\_try\_advisory\_%')
             AND NOT has_function_privilege('pinpipe_loader', p.oid, 'EXECUTE')), 0,
          'the loader executes every advisory-lock function');
SELECT ok(NOT pg_has_role('pinpipe_loader', 'pg_signal_backend', 'MEMBER'),
          'the loader does not hold pg_signal_backend');
SELECT ok(NOT pg_has_role('pinpipe_reader', 'pg_signal_backend', 'MEMBER'),
          'the reader does not hold pg_signal_backend');
SELECT ok((SELECT prosecdef FROM pg_proc WHERE oid = 'etl.end_lapsed_instances(text, bigint, bigint)'::regprocedure),
          'etl.end_lapsed_instances runs with its owner''s right to signal');
SELECT ok((SELECT proconfig @> ARRAY['search_path=pg_catalog, pg_temp'] FROM pg_proc
           WHERE oid = 'etl.end_lapsed_instances(text, bigint, bigint)'::regprocedure),
          'etl.end_lapsed_instances has a fixed search_path');

-- The loader: takes claims, may end lapsed instances, may not touch the migration bookkeeping
-- or write a staging partition past its parent's fold.
SET LOCAL ROLE pinpipe_loader;
SELECT ok(pg_try_advisory_xact_lock(hashtextextended('pinpipe/least-privilege-test/p.pin/0', 0)),
          'the loader takes a claim');
SELECT is(etl.end_lapsed_instances('no-such-group', 0, 0), 0,
          'the loader may call etl.end_lapsed_instances, which ends nothing of an unknown group');
SELECT throws_ok($$INSERT INTO etl.schema_migrations (version, name, checksum) VALUES (9999, 'x', 'x')$$,
                 '42501', NULL, 'the loader cannot mark a migration applied');
SELECT throws_ok($$UPDATE etl.schema_migrations SET checksum = 'x'$$, '42501', NULL,
                 'the loader cannot change a recorded migration');
SELECT throws_ok(format($$INSERT INTO %s (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, payload)
                          VALUES ('g.pin', 0, 0, now(), '{"index": 1}')$$,
                        (SELECT i.inhrelid::regclass FROM pg_inherits i
                         WHERE i.inhparent = 'staging.pin_events'::regclass
                           AND i.inhrelid::regclass::text LIKE '%\_p%' LIMIT 1)),
                 '42501', NULL, 'the loader cannot insert into a day partition of staging');
SELECT throws_ok($$INSERT INTO staging.pin_events_default (kafka_topic, kafka_partition, kafka_offset, payload)
                   VALUES ('g.pin', 0, 1, '{"index": 1}')$$,
                 '42501', NULL, 'nor into a default partition');
INSERT INTO staging.pin_events (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, payload)
VALUES ('g.pin', 0, 2, now(), '{"index": 5, "category": "diy"}');
SELECT throws_ok($$UPDATE staging.pin_events SET payload = '{"index": 5, "category": "x"}'
                   WHERE kafka_topic = 'g.pin' AND kafka_offset = 2$$,
                 '42501', NULL, 'the loader cannot update staging, which the fold would not see');
RESET ROLE;
SELECT is((SELECT category FROM clean.pins WHERE ind = 5), 'diy',
          'the loader inserts through the parent, and the row is folded');
SELECT ok(NOT has_table_privilege('pinpipe_loader', 'staging.geo_events', 'UPDATE')
          AND NOT has_table_privilege('pinpipe_loader', 'staging.user_events', 'DELETE')
          AND NOT has_table_privilege('pinpipe_loader', 'staging.pin_events', 'TRUNCATE'),
          'nor update, delete or truncate any of the three parents');

-- A partition made after the migration is closed to the loader too.
SELECT lives_ok($$SELECT etl.create_staging_partition('staging.pin_events', (now() AT TIME ZONE 'UTC')::date + 30)$$,
                'a later partition is made');
SELECT ok(NOT has_table_privilege('pinpipe_loader',
                                  format('staging.pin_events_p%s', to_char((now() AT TIME ZONE 'UTC')::date + 30, 'YYYYMMDD')),
                                  'INSERT'),
          'the loader cannot insert into a partition made later');

SELECT * FROM finish();
ROLLBACK;
