-- How fresh is staging? Per topic: rows loaded, the newest Kafka timestamp and load time, and
-- how far loading lags behind the messages (loaded_at - kafka_timestamp over the last hour).
-- Usage: psql -f sql/pipeline_freshness.sql   (needs read access to staging: the loader role or
-- an administrator; pinpipe_reader deliberately cannot read staging)

WITH loaded AS (
    SELECT kafka_topic, kafka_timestamp, loaded_at FROM staging.pin_events
    UNION ALL
    SELECT kafka_topic, kafka_timestamp, loaded_at FROM staging.geo_events
    UNION ALL
    SELECT kafka_topic, kafka_timestamp, loaded_at FROM staging.user_events
)
SELECT kafka_topic                                            AS topic,
       count(*)                                               AS rows_loaded,
       max(kafka_timestamp)                                   AS newest_message,
       max(loaded_at)                                         AS last_loaded_at,
       now() - max(loaded_at)                                 AS since_last_load,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY loaded_at - kafka_timestamp)
           FILTER (WHERE loaded_at > now() - interval '1 hour') AS median_load_delay_last_hour
FROM loaded
GROUP BY kafka_topic
ORDER BY kafka_topic;
