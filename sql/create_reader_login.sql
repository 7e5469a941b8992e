-- Gives a BI tool or a person its own login in pinpipe_reader (reads analytics, clean, realtime
-- and monitoring; refused staging and etl). Run as a role with CREATEROLE, once per login; running
-- it again sets the password anew and keeps the membership.
-- Usage (the password comes from the environment or a prompt, never from the command line):
--   PINPIPE_LOGIN_PASSWORD=… psql -v login=metabase -f sql/create_reader_login.sql
--   psql -v login=metabase -f sql/create_reader_login.sql          # prompts for the password
-- An existing role only needs: GRANT pinpipe_reader TO alice;
-- The ALTER ROLE statement carries the password: keep log_statement below ddl while it runs.

\set ON_ERROR_STOP on
\getenv login_password PINPIPE_LOGIN_PASSWORD
\if :{?login_password}
\else
\prompt 'password for the new login: ' login_password
\endif

SELECT format('CREATE ROLE %I LOGIN IN ROLE pinpipe_reader', :'login')
WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'login')
\gexec
SELECT format('GRANT pinpipe_reader TO %I', :'login')
\gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'login', :'login_password')
\gexec
