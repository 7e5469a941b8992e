-- Gives a BI tool or a person its own login in pinpipe_reader (reads analytics, clean, realtime
-- and monitoring; refused staging and etl). Run as a role with CREATEROLE, once per login; running
-- it again sets the password anew and keeps the membership.
-- Usage (the password comes from the environment or a prompt, never from the command line):
--   PINPIPE_LOGIN_PASSWORD=… psql -v login=metabase -f sql/create_reader_login.sql
--   psql -v login=metabase -f sql/create_reader_login.sql          # prompts for the password
-- An existing role only needs: GRANT pinpipe_reader TO alice;

\set login_groups 'pinpipe_reader'
\ir create_login.sql
