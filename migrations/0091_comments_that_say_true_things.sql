-- Comments that say what the columns hold (issue #27). Columns filled by DEFAULT now() hold the
-- start of the transaction that wrote the row, not its commit; the dead-letter reasons include
-- import's unknown_kind; a load run's outcome can be stopped (0030 said so for etl.load_runs, the
-- monitoring view's column kept the old text).

COMMENT ON COLUMN monitoring.load_runs.outcome IS 'running (or crashed), ok, stopped (a --follow run ended by SIGTERM/SIGINT) or failed';
COMMENT ON COLUMN etl.dead_letters.reason IS 'Machine-readable reason: empty, too_large, invalid_json, not_object, missing_ind, non_integer_ind, unsupported_json, timestamp_out_of_range, rejected_by_postgres, or unknown_kind (pinpipe import: a record of no known event kind)';
COMMENT ON COLUMN monitoring.dead_letters_per_reason.reason IS 'Machine-readable reason: empty, too_large, invalid_json, not_object, missing_ind, non_integer_ind, unsupported_json, timestamp_out_of_range, rejected_by_postgres, or unknown_kind (pinpipe import: a record of no known event kind)';
COMMENT ON COLUMN etl.imported_files.imported_at IS 'When the transaction that imported the file started (its rows commit with it)';
COMMENT ON COLUMN etl.retention_runs.ran_at IS 'When the run''s transaction started';
COMMENT ON COLUMN staging.pin_events.loaded_at IS 'When the transaction that wrote the row started (a load batch, a dlq replay, an import); it became visible at that transaction''s commit';
COMMENT ON COLUMN staging.geo_events.loaded_at IS 'When the transaction that wrote the row started (a load batch, a dlq replay, an import); it became visible at that transaction''s commit';
COMMENT ON COLUMN staging.user_events.loaded_at IS 'When the transaction that wrote the row started (a load batch, a dlq replay, an import); it became visible at that transaction''s commit';
COMMENT ON COLUMN monitoring.freshness.newest_loaded_at IS 'When the transaction that wrote the newest staging row started (staging.*.loaded_at)';
