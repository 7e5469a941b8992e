-- etl.schema_repeatables records the checksum each repeatable migration (R__<name>.sql) was last
-- applied with. pinpipe migrate creates it before applying anything, as it does
-- etl.schema_migrations, so that any migrations directory works; on a database migrated before,
-- schema etl's default privileges (0001) then give pinpipe_loader INSERT and UPDATE on it. The
-- migration runner alone writes it, as 0082 made it for etl.schema_migrations: a loader that
-- could record a checksum would make migrate skip a changed file.

SELECT etl.grant_if_role_exists('pinpipe_loader', 'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON etl.schema_repeatables FROM %s');

COMMENT ON COLUMN etl.schema_repeatables.name IS 'The file''s name between R__ and .sql';
COMMENT ON COLUMN etl.schema_repeatables.checksum IS 'SHA-256 of the file as last applied, hex';
COMMENT ON COLUMN etl.schema_repeatables.applied_at IS 'When the transaction that last applied the file started';
COMMENT ON COLUMN etl.schema_repeatables.superseded IS 'Checksums the file was applied with before and replaced since: a pinpipe whose file has one of them is older than the database, and migrate refuses it';
