-- pinpipe_reader (BI tools, psql users) selects everything in clean, analytics and realtime and
-- nothing in staging or etl. The views of clean and analytics run with their owner's rights, so
-- this is all the reader needs to read them; staging stays closed to it. (0001 already makes
-- tables created later in these schemas readable through default privileges; this grants what
-- exists now, by name, so it does not depend on who ran which migration.)

SELECT etl.grant_if_role_exists('pinpipe_reader', 'GRANT USAGE ON SCHEMA clean, analytics, realtime TO %s');
SELECT etl.grant_if_role_exists('pinpipe_reader', 'GRANT SELECT ON ALL TABLES IN SCHEMA clean, analytics, realtime TO %s');
SELECT etl.grant_if_role_exists('pinpipe_reader', 'REVOKE ALL ON ALL TABLES IN SCHEMA staging, etl FROM %s');
SELECT etl.grant_if_role_exists('pinpipe_reader', 'REVOKE ALL ON SCHEMA staging, etl FROM %s');
