-- A new dead-letter reason: timestamp_out_of_range, a message whose Kafka timestamp lies outside
-- the years PostgreSQL can store (1 to 294276; a producer that writes nanoseconds), where the
-- consumer needs it. `stream` counts each event in the minute of its timestamp: such a message
-- made PostgreSQL refuse the whole batch ("interval out of range") every time it was read again,
-- so the stream exited and could not get past it. `load` still stores the row, with
-- kafka_timestamp NULL (and a warning).

COMMENT ON COLUMN etl.dead_letters.reason IS 'Machine-readable reason: empty, too_large, invalid_json, not_object, missing_ind, non_integer_ind, unsupported_json, timestamp_out_of_range, rejected_by_postgres';
COMMENT ON COLUMN monitoring.dead_letters_per_reason.reason IS 'Machine-readable reason: empty, too_large, invalid_json, not_object, missing_ind, non_integer_ind, unsupported_json, timestamp_out_of_range, rejected_by_postgres';
