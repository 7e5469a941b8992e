-- How fresh is staging? Per topic, over the messages of the last 24 hours (by Kafka timestamp,
-- the staging tables' partition key, so only the newest day partitions and the default one are
-- read: the cost does not grow with history): rows loaded, the newest Kafka timestamp and load
-- time, and how far loading lags behind the messages (loaded_at - kafka_timestamp over the last
-- hour). A topic with nothing in the last 24 hours has no row; monitoring.freshness gives the
-- newest message of every topic, one index probe per partition, for dashboards.
-- Usage: psql -f sql/pipeline_freshness.sql   (needs read access to staging: the loader role or
-- an administrator; pinpipe_reader deliberately cannot read staging)

WITH loaded AS (
    SELECT kafka_topic, kafka_timestamp, loaded_at FROM staging.pin_events
    WHERE kafka_timestamp > now() - interval '24 hours'
    UNION ALL
    SELECT kafka_topic, kafka_timestamp, loaded_at FROM staging.geo_events
    WHERE kafka_timestamp > now() - interval '24 hours'
    UNION ALL
    SELECT kafka_topic, kafka_timestamp, loaded_at FROM staging.user_events
    WHERE kafka_timestamp > now() - interval '24 hours'
)
SELECT kafka_topic                                            AS topic,
       count(*)                                               AS rows_loaded_last_24h,
       max(kafka_timestamp)                                   AS newest_message,
       max(loaded_at)                                         AS last_loaded_at,
       now() - max(loaded_at)                                 AS since_last_load,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY loaded_at - kafka_timestamp)
           FILTER (WHERE loaded_at > now() - interval '1 hour') AS median_load_delay_last_hour
FROM loaded
GROUP BY kafka_topic
ORDER BY kafka_topic;
