-- The live state behind the analytics answers: per clean table its rows, the newest Kafka
-- timestamp folded into it (how current the answers are) and its size; per count table its
-- planner's estimate of rows (pg_class.reltuples, as of the last ANALYZE) and its size.
-- Usage: psql -f sql/pipeline_live_analytics.sql   (any role with pinpipe_reader's rights)

SELECT 'clean.pins' AS relation, count(*) AS live_rows, max(kafka_timestamp) AS newest_message,
       pg_size_pretty(pg_total_relation_size('clean.pins')) AS size
FROM clean.pins
UNION ALL
SELECT 'clean.geolocations', count(*), max(kafka_timestamp),
       pg_size_pretty(pg_total_relation_size('clean.geolocations'))
FROM clean.geolocations
UNION ALL
SELECT 'clean.users', count(*), max(kafka_timestamp), pg_size_pretty(pg_total_relation_size('clean.users'))
FROM clean.users
UNION ALL
SELECT format('%I.%I', n.nspname, c.relname), c.reltuples::bigint, NULL,
       pg_size_pretty(pg_total_relation_size(c.oid))
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = 'analytics' AND c.relkind = 'r' AND c.relname LIKE '%\_counts'
ORDER BY 1;
