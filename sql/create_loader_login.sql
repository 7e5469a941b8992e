-- Gives a loader process (load, stream, dlq) its own login in pinpipe_loader (writes staging,
-- realtime and etl; cannot change the schema) and pinpipe_reader (reads what status reports on).
-- Run as a role with CREATEROLE, once per login; running it again sets the password anew and
-- keeps the memberships.
-- Usage (the password comes from the environment or a prompt, never from the command line):
--   PINPIPE_LOGIN_PASSWORD=… psql -v login=pinpipe_load -f sql/create_loader_login.sql

\set login_groups 'pinpipe_loader, pinpipe_reader'
\ir create_login.sql
