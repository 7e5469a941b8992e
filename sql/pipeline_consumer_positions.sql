-- Where each consumer group stands per topic partition (the exactly-once offsets of DESIGN §8).
-- Usage: psql -f sql/pipeline_consumer_positions.sql   (loader role or administrator)

SELECT consumer,
       topic,
       partition,
       next_offset,
       updated_at,
       now() - updated_at AS since_update
FROM etl.consumer_offsets
ORDER BY consumer, topic, partition;
