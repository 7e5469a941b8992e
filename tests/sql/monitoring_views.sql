-- The monitoring views tell a dashboard logged in as pinpipe_reader how the pipeline is doing
-- (freshness, consumer progress, load runs, dead letters per reason) without opening staging or
-- etl to it, and every view and column says what it holds.
BEGIN;
SELECT plan(12);

INSERT INTO etl.consumer_offsets (consumer, topic, partition, next_offset, updated_at)
VALUES ('g', 'm.pin', 0, 2, now() - interval '30 seconds'), ('g', 'm.pin', 1, 5, now() - interval '10 seconds'),
       ('g', 'm.geo', 0, 1, now()), ('s', 'm.user', 0, 3, now());
INSERT INTO staging.pin_events (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, payload, loaded_at)
VALUES ('m.pin', 0, 0, now() - interval '2 hours', '{"index": 1}', now() - interval '1 hour'),
       ('m.pin', 0, 1, now() - interval '90 minutes', '{"index": 2}', now() - interval '1 hour'),
       ('m.pin', 1, 4, now() - interval '100 minutes', '{"index": 3}', now() - interval '1 hour');
INSERT INTO staging.geo_events (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, payload, loaded_at)
VALUES ('m.geo', 0, 0, now() - interval '10 minutes', '{"ind": 1}', now() - interval '9 minutes');
INSERT INTO etl.load_runs (consumer, started_at, finished_at, pin_rows, outcome)
VALUES ('g', now() - interval '1 minute', now(), 3, 'ok');
INSERT INTO etl.dead_letters (consumer, topic, partition, "offset", payload, reason, error)
VALUES ('g', 'm.pin', 0, 7, 'x', 'invalid_json', 'bad'), ('g', 'm.pin', 0, 8, 'y', 'invalid_json', 'bad');

SELECT isnt(obj_description('monitoring'::regnamespace, 'pg_namespace'), NULL, 'schema monitoring has a comment');
SELECT is((SELECT count(*)::int FROM pg_class WHERE relnamespace = 'monitoring'::regnamespace
           AND obj_description(oid, 'pg_class') IS NULL), 0, 'every monitoring view has a comment');
SELECT is((SELECT count(*)::int FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
           WHERE c.relnamespace = 'monitoring'::regnamespace AND col_description(c.oid, a.attnum) IS NULL), 0,
          'every monitoring column has a comment');
SELECT is((SELECT count(*)::int FROM pg_class c WHERE c.relnamespace = 'monitoring'::regnamespace
           AND NOT has_table_privilege('pinpipe_reader', c.oid, 'SELECT')), 0,
          'pinpipe_reader may select every monitoring view');

SET LOCAL ROLE pinpipe_reader;
SELECT results_eq(
    $$SELECT topic, round(age_seconds / 60)::int, round(load_delay_seconds / 60)::int FROM monitoring.freshness ORDER BY topic$$,
    $$VALUES ('m.geo', 10, 1), ('m.pin', 90, 30), ('m.user', NULL::int, NULL::int)$$,
    'freshness: the newest offset per partition, the newest of those per topic; NULL when nothing is loaded');
SELECT results_eq(
    $$SELECT consumer, topic, partitions, committed_messages, round(seconds_since_progress / 10)::int
      FROM monitoring.consumer_progress ORDER BY consumer, topic$$,
    $$VALUES ('g', 'm.geo', 1, 1::bigint, 0), ('g', 'm.pin', 2, 7::bigint, 1), ('s', 'm.user', 1, 3::bigint, 0)$$,
    'consumer progress per group and topic');
SELECT results_eq($$SELECT pin_rows, outcome, round(seconds)::int FROM monitoring.load_runs$$,
                  $$VALUES (3::bigint, 'ok', 60)$$, 'load runs with their duration');
SELECT results_eq($$SELECT consumer, topic, reason, messages FROM monitoring.dead_letters_per_reason$$,
                  $$VALUES ('g', 'm.pin', 'invalid_json', 2::bigint)$$, 'dead letters counted per reason');
SELECT results_eq($$SELECT reason, messages FROM monitoring.dead_letters_per_hour WHERE hour = date_trunc('hour', now())$$,
                  $$VALUES ('invalid_json', 2::bigint)$$, 'dead letters counted per hour');
SELECT throws_ok('SELECT * FROM etl.dead_letters', '42501', NULL, 'the payloads stay closed to the reader');
SELECT throws_ok('SELECT * FROM staging.geo_events', '42501', NULL, 'staging stays closed to the reader');
SELECT throws_ok('DELETE FROM monitoring.load_runs', '42501', NULL, 'the reader cannot write through the views');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
