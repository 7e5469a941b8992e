-- Files imported by pinpipe import (newline-delimited JSON or one event per file), one row per
-- distinct content: the primary key makes a content import exactly once, whatever the file is
-- called and however many imports run at the same time.

CREATE TABLE etl.imported_files (
    content_sha256 text PRIMARY KEY,
    file_name      text        NOT NULL,
    bytes          bigint      NOT NULL,
    records        bigint      NOT NULL DEFAULT 0,
    staged_rows    bigint      NOT NULL DEFAULT 0,
    dead_letters   bigint      NOT NULL DEFAULT 0,
    imported_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE etl.imported_files IS 'One row per file content imported by pinpipe import; its rows are in staging under kafka_topic import:<content_sha256>.<kind>';
COMMENT ON COLUMN etl.imported_files.content_sha256 IS 'SHA-256 of the file''s bytes, hex: the same content is never imported twice';
COMMENT ON COLUMN etl.imported_files.file_name IS 'The path the content was first imported from';
COMMENT ON COLUMN etl.imported_files.bytes IS 'Size of the file';
COMMENT ON COLUMN etl.imported_files.records IS 'Events read from the file';
COMMENT ON COLUMN etl.imported_files.staged_rows IS 'Rows written to staging';
COMMENT ON COLUMN etl.imported_files.dead_letters IS 'Records written to etl.dead_letters (consumer pinpipe-import)';
COMMENT ON COLUMN etl.imported_files.imported_at IS 'When the import committed';

SELECT etl.grant_if_role_exists('pinpipe_loader', 'GRANT SELECT, INSERT, UPDATE ON etl.imported_files TO %s');
