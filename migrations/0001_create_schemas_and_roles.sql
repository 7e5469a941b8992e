-- Schemas of the pipeline and the two roles that BI tools and loaders log in through.
-- Roles are cluster-wide: creating them must not fail when they exist already or when the
-- migrating user lacks CREATEROLE (a managed Postgres): then say so and go on; grants below
-- are only made to roles that exist.

CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS clean;
CREATE SCHEMA IF NOT EXISTS analytics;
CREATE SCHEMA IF NOT EXISTS realtime;
CREATE SCHEMA IF NOT EXISTS etl;

COMMENT ON SCHEMA staging IS 'Lossless copies of every Kafka message loaded by pinpipe load, with their Kafka coordinates';
COMMENT ON SCHEMA clean IS 'Cleaned views over staging: one row per ind, placeholders as NULL, real types';
COMMENT ON SCHEMA analytics IS 'Rankings over the cleaned data (views) and their materialized twins (*_mv, refreshed by pinpipe refresh)';
COMMENT ON SCHEMA realtime IS 'Metrics kept current by pinpipe stream';
COMMENT ON SCHEMA etl IS 'Pipeline bookkeeping: migrations, consumer offsets, dead letters, load runs';

DO $$
DECLARE
    role_name text;
BEGIN
    FOREACH role_name IN ARRAY ARRAY['pinpipe_loader', 'pinpipe_reader'] LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = role_name) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
            EXCEPTION WHEN insufficient_privilege THEN
                RAISE WARNING 'could not create role %: permission denied (ask an administrator to create it; grants to it are skipped)', role_name;
            END;
        END IF;
    END LOOP;
END
$$;

-- Grants the given privileges to a role if that role exists; later migrations call it so that a
-- database without the roles still migrates.
CREATE OR REPLACE FUNCTION etl.grant_if_role_exists(role_name text, grant_sql text)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = role_name) THEN
        EXECUTE format(grant_sql, quote_ident(role_name));
    END IF;
END
$$;
COMMENT ON FUNCTION etl.grant_if_role_exists(text, text) IS 'Runs grant_sql (with %s for the role) only when the role exists';
REVOKE ALL ON FUNCTION etl.grant_if_role_exists(text, text) FROM PUBLIC;

SELECT etl.grant_if_role_exists('pinpipe_reader', 'GRANT USAGE ON SCHEMA clean, analytics, realtime TO %s');
SELECT etl.grant_if_role_exists('pinpipe_reader', 'ALTER DEFAULT PRIVILEGES IN SCHEMA clean, analytics, realtime GRANT SELECT ON TABLES TO %s');
SELECT etl.grant_if_role_exists('pinpipe_loader', 'GRANT USAGE ON SCHEMA staging, realtime, etl TO %s');
SELECT etl.grant_if_role_exists('pinpipe_loader', 'ALTER DEFAULT PRIVILEGES IN SCHEMA staging, realtime, etl GRANT SELECT, INSERT, UPDATE ON TABLES TO %s');
SELECT etl.grant_if_role_exists('pinpipe_loader', 'ALTER DEFAULT PRIVILEGES IN SCHEMA staging, realtime, etl GRANT USAGE ON SEQUENCES TO %s');
