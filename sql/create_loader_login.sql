-- Gives a loader process (load, stream, dlq) its own login in pinpipe_loader (writes staging,
-- realtime and etl; cannot change the schema) and pinpipe_reader (reads what status reports on).
-- Run as a role with CREATEROLE, once per login; running it again sets the password anew and
-- keeps the memberships.
-- Usage (the password comes from the environment or a prompt, never from the command line):
--   PINPIPE_LOGIN_PASSWORD=… psql -v login=pinpipe_load -f sql/create_loader_login.sql
-- The ALTER ROLE statement carries the password: keep log_statement below ddl while it runs.

\set ON_ERROR_STOP on
\getenv login_password PINPIPE_LOGIN_PASSWORD
\if :{?login_password}
\else
\prompt 'password for the new login: ' login_password
\endif

SELECT format('CREATE ROLE %I LOGIN IN ROLE pinpipe_loader', :'login')
WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'login')
\gexec
SELECT format('GRANT pinpipe_loader, pinpipe_reader TO %I', :'login')
\gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'login', :'login_password')
\gexec
