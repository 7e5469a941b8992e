-- Repeatable (pinpipe migrate applies it again whenever this file changes): the helper that
-- grants to pinpipe's roles only where they exist, since a migrating user without CREATEROLE
-- may not have been able to create them (0001). The files after this one and the versioned
-- migrations call it, hence the name that sorts first. EXECUTE is revoked from PUBLIC.

CREATE OR REPLACE FUNCTION etl.grant_if_role_exists(role_name text, grant_sql text)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = role_name) THEN
        EXECUTE format(grant_sql, quote_ident(role_name));
    END IF;
END
$$;
COMMENT ON FUNCTION etl.grant_if_role_exists(text, text) IS
    'Runs grant_sql (with %s for the role) only when the role exists';
REVOKE ALL ON FUNCTION etl.grant_if_role_exists(text, text) FROM PUBLIC;

