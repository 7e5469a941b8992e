-- load --follow ends with outcome 'stopped' when SIGTERM/SIGINT stops it; 0002's comment predates it.
COMMENT ON COLUMN etl.load_runs.outcome IS 'running (or crashed), ok, stopped (a --follow run ended by SIGTERM/SIGINT) or failed';
