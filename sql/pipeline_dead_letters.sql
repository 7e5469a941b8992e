-- Dead letters per reason: how many messages could not be loaded, since when, and one example
-- error per reason. Inspect or replay single messages with `pinpipe dlq`.
-- Usage: psql -f sql/pipeline_dead_letters.sql   (loader role or administrator)

SELECT reason,
       topic,
       count(*)                           AS messages,
       min(failed_at)                     AS first_failed_at,
       max(failed_at)                     AS last_failed_at,
       (array_agg(error ORDER BY failed_at DESC))[1] AS latest_error
FROM etl.dead_letters
GROUP BY reason, topic
ORDER BY messages DESC, reason, topic;
