-- The loader only ever inserts into staging, and the live state's fold fires on INSERT alone: an
-- UPDATE of a staging row (or an INSERT ... ON CONFLICT DO UPDATE) by the loader's role would
-- change staging without clean.* or the answers, and refresh --verify, which compares the
-- answers with clean.*, would not see it. 0001's default privileges gave the loader UPDATE on
-- the partitioned parents that 0031 made; 0082 revoked it on the partitions only.
SELECT etl.grant_if_role_exists('pinpipe_loader',
    'REVOKE UPDATE, DELETE, TRUNCATE ON staging.pin_events, staging.geo_events, staging.user_events FROM %s');
