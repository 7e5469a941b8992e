-- The part of sql/create_reader_login.sql and sql/create_loader_login.sql they share: makes
-- :login a login in the groups :login_groups (set by the including script), or, when it exists,
-- grants it those groups and sets its password anew. The password comes from
-- PINPIPE_LOGIN_PASSWORD or a prompt, never from the command line. The ALTER ROLE statement
-- carries the password: keep log_statement below ddl while it runs.

\set ON_ERROR_STOP on
\getenv login_password PINPIPE_LOGIN_PASSWORD
\if :{?login_password}
\else
\prompt 'password for the new login: ' login_password
\endif

SELECT format('CREATE ROLE %I LOGIN IN ROLE %s', :'login', :'login_groups')
WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'login')
\gexec
SELECT format('GRANT %s TO %I', :'login_groups', :'login')
\gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'login', :'login_password')
\gexec
