-- pinpipe_reader selects all of clean, analytics and realtime, and nothing in staging or etl;
-- pinpipe_loader writes staging, and the triggers (SECURITY DEFINER) keep clean and analytics.
BEGIN;
SELECT plan(16);

INSERT INTO staging.pin_events (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, payload)
VALUES ('g.pin', 0, 0, now(), '{"index": 1, "category": "art", "follower_count": "7k", "poster_name": "A"}');
INSERT INTO staging.geo_events (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, payload)
VALUES ('g.geo', 0, 0, now(), '{"ind": 1, "country": "X", "timestamp": "2020-01-01 00:00:00"}');
CREATE TABLE realtime.grants_probe (n int);  -- a table the streaming writer might create later

SELECT is((SELECT count(*)::int FROM pg_class c
           WHERE c.relnamespace IN ('clean'::regnamespace, 'analytics'::regnamespace, 'realtime'::regnamespace)
             AND c.relkind IN ('r', 'v', 'm', 'p')
             AND NOT has_table_privilege('pinpipe_reader', c.oid, 'SELECT')), 0,
          'pinpipe_reader may select every table and view of clean, analytics and realtime');
SELECT is((SELECT count(*)::int FROM pg_class c
           WHERE c.relnamespace IN ('clean'::regnamespace, 'analytics'::regnamespace, 'realtime'::regnamespace)
             AND c.relkind IN ('r', 'v', 'm', 'p')
             AND (has_table_privilege('pinpipe_reader', c.oid, 'INSERT') OR has_table_privilege('pinpipe_reader', c.oid, 'UPDATE')
                  OR has_table_privilege('pinpipe_reader', c.oid, 'DELETE'))), 0,
          'pinpipe_reader may not write there');
SELECT is((SELECT count(*)::int FROM pg_class c
           WHERE c.relnamespace IN ('staging'::regnamespace, 'etl'::regnamespace) AND c.relkind IN ('r', 'v', 'm', 'p')
             AND has_table_privilege('pinpipe_reader', c.oid, 'SELECT')), 0,
          'pinpipe_reader may select nothing in staging or etl');
SELECT ok(NOT has_schema_privilege('pinpipe_reader', 'staging', 'USAGE'), 'no usage on schema staging');
SELECT ok(NOT has_schema_privilege('pinpipe_reader', 'etl', 'USAGE'), 'no usage on schema etl');

SET LOCAL ROLE pinpipe_reader;
SELECT is((SELECT follower_count FROM clean.pins WHERE ind = 1), 7000::bigint, 'the reader reads clean.pins (owner rights over staging)');
SELECT is((SELECT country FROM clean.geolocations WHERE ind = 1), 'X', 'the reader reads clean.geolocations');
SELECT lives_ok('SELECT * FROM clean.users', 'the reader reads clean.users');
SELECT results_eq('SELECT country, category FROM analytics.top_category_per_country', $$VALUES ('X', 'art')$$,
                  'the reader reads the analytics views');
SELECT lives_ok('SELECT * FROM analytics.median_followers_per_join_year_and_age_group_mv', 'the reader reads the twins');
SELECT lives_ok('SELECT * FROM realtime.grants_probe', 'the reader reads realtime tables created later');
SELECT throws_ok('SELECT * FROM staging.pin_events', '42501', NULL, 'staging is closed to the reader');
SELECT throws_ok('SELECT * FROM etl.load_runs', '42501', NULL, 'etl is closed to the reader');
SELECT throws_ok('DELETE FROM clean.pins', '42501', NULL, 'the reader cannot write the clean tables');
RESET ROLE;

SET LOCAL ROLE pinpipe_loader;
INSERT INTO staging.pin_events (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, payload)
VALUES ('g.pin', 0, 1, now() + interval '1 second', '{"index": 1, "category": "diy", "follower_count": "7k", "poster_name": "A"}');
SELECT throws_ok('DELETE FROM clean.pins', '42501', NULL, 'the loader cannot write the clean tables itself');
RESET ROLE;
SELECT is((SELECT category FROM analytics.top_category_per_country), 'diy',
          'yet what the loader writes to staging reaches clean and analytics (the triggers run as their owner)');

SELECT * FROM finish();
ROLLBACK;
