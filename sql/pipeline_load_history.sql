-- The last 50 runs of `pinpipe load`: when, how long, rows per topic, dead letters and outcome.
-- A run still "running" with no finished_at long after it started crashed.
-- Usage: psql -f sql/pipeline_load_history.sql   (loader role or administrator)

SELECT id,
       consumer,
       host,
       started_at,
       finished_at,
       finished_at - started_at            AS duration,
       pin_rows,
       geo_rows,
       user_rows,
       dead_letters,
       outcome,
       detail
FROM etl.load_runs
ORDER BY started_at DESC
LIMIT 50;
