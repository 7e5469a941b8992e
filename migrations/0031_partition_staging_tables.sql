-- staging.pin_events, geo_events and user_events become range-partitioned by kafka_timestamp,
-- one partition per UTC day, so that old history goes with a DROP of whole partitions (pinpipe
-- retention) instead of growing forever, and each COPY maintains only the small indexes of the
-- day it writes to. Why daily, not monthly: a COPY's index work is bounded by a day of traffic,
-- and retention frees space a day at a time; 90 days of retention are about 100 partitions per
-- table, which PostgreSQL 15 routes and prunes without measurable cost.
--
-- A row of ANY timestamp lands: a message from last year, from a producer with a wrong clock,
-- or without a timestamp goes to the table's DEFAULT partition (staging.<table>_default). Day
-- partitions are made ahead (7 days) by etl.make_staging_partitions(), which pinpipe retention
-- and this migration call; it also files the rows that waited in a default partition into their
-- own day's partition (rows more than 7 days in the future wait until their day is near, so a
-- wrong clock cannot create thousands of partitions; rows without a timestamp stay there).
-- Hand-written PL/pgSQL rather than pg_partman: the core must work without extensions, the
-- whole of what is needed is below, and pg_partman 4 cannot create a child while the default
-- holds rows of its range, which is exactly what happens here.
--
-- Uniqueness: a unique index of a partitioned table must contain the partition key, so the key is
-- (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp) NULLS NOT DISTINCT. It is the old
-- guarantee "never two rows for one (topic, partition, offset)": a Kafka offset names one
-- immutable message with exactly one timestamp, which every re-delivery (load, dlq replay)
-- carries again, so a second copy of a message has the same four values and collides; NULLS NOT
-- DISTINCT makes two copies of a message without a timestamp collide too.
--
-- The migration keeps every row: the old tables are renamed, their rows copied into the new
-- partitions (a day partition for each day present, at most 7 days ahead; the rest into the
-- default), the views over them re-pointed, and the old tables dropped. The generated columns
-- of 0005 are kept (the views read them until 0040 replaces the views).

CREATE FUNCTION etl.create_staging_partition(parent regclass, day date)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    schema_name text;
    table_name text;
    partition_name text;
    default_partition regclass;
    range_from timestamptz := day::timestamp AT TIME ZONE 'UTC';
    range_to timestamptz := (day + 1)::timestamp AT TIME ZONE 'UTC';
    stored_columns text;
    moved bigint := 0;
BEGIN
    SELECT n.nspname, c.relname INTO schema_name, table_name
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = parent;
    partition_name := table_name || '_p' || to_char(day, 'YYYYMMDD');
    IF to_regclass(format('%I.%I', schema_name, partition_name)) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    -- Built detached and attached afterwards: ATTACH takes only SHARE UPDATE EXCLUSIVE on the
    -- parent, so loaders writing other days go on meanwhile; CREATE ... PARTITION OF would
    -- lock the whole table. ATTACH builds the partition's indexes after the rows are in.
    EXECUTE format('CREATE TABLE %I.%I (LIKE %s INCLUDING DEFAULTS INCLUDING GENERATED '
                   'INCLUDING STORAGE INCLUDING COMPRESSION)',
                   schema_name, partition_name, parent);
    default_partition := to_regclass(format('%I.%I', schema_name, table_name || '_default'));
    IF default_partition IS NOT NULL THEN
        -- No row of this day may reach the default between the move and the ATTACH, which
        -- checks that the default holds none.
        EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', default_partition);
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO stored_columns
        FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = parent AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';
        EXECUTE format('WITH moved AS (DELETE FROM %s WHERE kafka_timestamp >= $1 AND '
                       'kafka_timestamp < $2 RETURNING %s) INSERT INTO %I.%I (%s) SELECT %s FROM moved',
                       default_partition, stored_columns, schema_name, partition_name,
                       stored_columns, stored_columns)
            USING range_from, range_to;
        GET DIAGNOSTICS moved = ROW_COUNT;
    END IF;
    EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I.%I FOR VALUES FROM (%L) TO (%L)',
                   parent, schema_name, partition_name, range_from, range_to);
    EXECUTE format('COMMENT ON TABLE %I.%I IS %L', schema_name, partition_name,
                   format('Partition of %s: messages whose kafka_timestamp falls on %s (UTC)',
                          parent, to_char(day, 'YYYY-MM-DD')));
    RETURN moved;
END
$$;
COMMENT ON FUNCTION etl.create_staging_partition(regclass, date) IS
    'Creates the partition of a staging table for one UTC day, moving that day''s rows out of its default partition; returns the rows moved, NULL when the partition existed';

CREATE FUNCTION etl.make_staging_partitions(days_ahead int DEFAULT 7)
RETURNS TABLE (staging_table text, partition_day date, rows_moved bigint)
LANGUAGE plpgsql AS $$
DECLARE
    parent regclass;
    day date;
    today date := (now() AT TIME ZONE 'UTC')::date;
    horizon timestamptz := (today + days_ahead + 1)::timestamp AT TIME ZONE 'UTC';
    moved bigint;
BEGIN
    -- Two runs at once would race to create the same partitions.
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pinpipe.make_staging_partitions'));
    FOREACH parent IN ARRAY ARRAY['staging.pin_events', 'staging.geo_events',
                                  'staging.user_events']::regclass[] LOOP
        FOR day IN EXECUTE format(
                'SELECT d::date FROM generate_series($1::timestamp, $2::timestamp, interval ''1 day'') d '
                'UNION SELECT DISTINCT (kafka_timestamp AT TIME ZONE ''UTC'')::date FROM %s_default '
                'WHERE kafka_timestamp < $3 ORDER BY 1', parent)
            USING today, today + days_ahead, horizon LOOP
            moved := etl.create_staging_partition(parent, day);
            IF moved IS NOT NULL THEN
                staging_table := parent::text;
                partition_day := day;
                rows_moved := moved;
                RETURN NEXT;
            END IF;
        END LOOP;
    END LOOP;
END
$$;
COMMENT ON FUNCTION etl.make_staging_partitions(int) IS
    'Creates the staging day partitions from today to days_ahead days ahead (UTC) and for every day up to then that has rows waiting in a default partition; returns what it created';


-- Names in the view definitions read back below are qualified only when search_path does not
-- find them; with pg_catalog alone, every staging name comes back qualified.
SET LOCAL search_path = pg_catalog;

DO $$
DECLARE
    kind text;
    old_table text;
    new_table regclass;
    stored_columns text;
    day date;
    horizon timestamptz := ((now() AT TIME ZONE 'UTC')::date + 8)::timestamp AT TIME ZONE 'UTC';
    view_names text[];
    view_definitions text[];
    i int;
BEGIN
    -- The clean views read staging; they are re-created over the new tables from their own
    -- definitions, so that no definition is written twice. Only plain views can be.
    IF EXISTS (SELECT FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
                                       JOIN pg_class c ON c.oid = r.ev_class
               WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
                 AND d.refobjid IN ('staging.pin_events'::regclass, 'staging.geo_events'::regclass,
                                    'staging.user_events'::regclass)
                 AND c.oid <> d.refobjid AND c.relkind <> 'v') THEN
        RAISE EXCEPTION 'cannot partition staging: a materialized view reads a staging table'
            USING HINT = 'drop it, migrate, and create it again';
    END IF;
    SELECT array_agg(v.view_name ORDER BY v.view_name), array_agg(v.definition ORDER BY v.view_name)
    INTO view_names, view_definitions
    FROM (SELECT DISTINCT c.oid::regclass::text AS view_name, pg_get_viewdef(c.oid) AS definition
          FROM pg_depend d
               JOIN pg_rewrite r ON r.oid = d.objid
               JOIN pg_class c ON c.oid = r.ev_class
          WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
            AND d.refobjid IN ('staging.pin_events'::regclass, 'staging.geo_events'::regclass,
                               'staging.user_events'::regclass)
            AND c.oid <> d.refobjid) v;

    FOREACH kind IN ARRAY ARRAY['pin', 'geo', 'user'] LOOP
        old_table := format('staging.%I', kind || '_events_unpartitioned');
        EXECUTE format('ALTER TABLE staging.%I RENAME TO %I', kind || '_events', kind || '_events_unpartitioned');
        EXECUTE format('CREATE TABLE staging.%I (LIKE %s INCLUDING DEFAULTS INCLUDING GENERATED '
                       'INCLUDING COMMENTS INCLUDING STORAGE INCLUDING COMPRESSION) '
                       'PARTITION BY RANGE (kafka_timestamp)', kind || '_events', old_table);
        new_table := format('staging.%I', kind || '_events')::regclass;
        EXECUTE format('CREATE TABLE staging.%I PARTITION OF %s DEFAULT', kind || '_events_default', new_table);
        EXECUTE format('COMMENT ON TABLE staging.%I IS %L', kind || '_events_default',
                       format('Default partition of %s: messages without a day partition yet (other days, wrong clocks, no timestamp); etl.make_staging_partitions files them', new_table));
        FOR day IN EXECUTE format('SELECT DISTINCT (kafka_timestamp AT TIME ZONE ''UTC'')::date FROM %s '
                                  'WHERE kafka_timestamp < $1', old_table) USING horizon LOOP
            PERFORM etl.create_staging_partition(new_table, day);
        END LOOP;
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO stored_columns
        FROM pg_attribute a
        WHERE a.attrelid = new_table AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';
        EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM %s', new_table, stored_columns, stored_columns, old_table);
    END LOOP;

    FOR i IN 1 .. coalesce(array_length(view_names, 1), 0) LOOP
        EXECUTE format('CREATE OR REPLACE VIEW %s AS %s', view_names[i], view_definitions[i]);
    END LOOP;
    FOREACH kind IN ARRAY ARRAY['pin', 'geo', 'user'] LOOP
        EXECUTE format('DROP TABLE staging.%I', kind || '_events_unpartitioned');
    END LOOP;
END
$$;

SELECT count(*) FROM etl.make_staging_partitions(7);

-- Indexes after the rows: built once per partition, sorted, instead of row by row.
ALTER TABLE staging.pin_events ADD CONSTRAINT pin_events_kafka_message_key
    UNIQUE NULLS NOT DISTINCT (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp);
ALTER TABLE staging.geo_events ADD CONSTRAINT geo_events_kafka_message_key
    UNIQUE NULLS NOT DISTINCT (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp);
ALTER TABLE staging.user_events ADD CONSTRAINT user_events_kafka_message_key
    UNIQUE NULLS NOT DISTINCT (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp);
COMMENT ON CONSTRAINT pin_events_kafka_message_key ON staging.pin_events IS 'Never two rows for one Kafka message: an offset has exactly one timestamp, and the partition key must be part of a unique key';
COMMENT ON CONSTRAINT geo_events_kafka_message_key ON staging.geo_events IS 'Never two rows for one Kafka message: an offset has exactly one timestamp, and the partition key must be part of a unique key';
COMMENT ON CONSTRAINT user_events_kafka_message_key ON staging.user_events IS 'Never two rows for one Kafka message: an offset has exactly one timestamp, and the partition key must be part of a unique key';

-- The covering indexes of 0005 are not made again: they served only the clean views, which 0040
-- replaces with tables kept by triggers, and 0042 drops the columns they covered; pinpipe migrate
-- applies all of these in one run.

COMMENT ON TABLE staging.pin_events IS 'Every pin message loaded from <prefix>.pin, as delivered; one partition per UTC day of kafka_timestamp (pinpipe retention drops old ones)';
COMMENT ON TABLE staging.geo_events IS 'Every geolocation message loaded from <prefix>.geo, as delivered; one partition per UTC day of kafka_timestamp (pinpipe retention drops old ones)';
COMMENT ON TABLE staging.user_events IS 'Every user message loaded from <prefix>.user, as delivered; one partition per UTC day of kafka_timestamp (pinpipe retention drops old ones)';

-- What pinpipe retention and status read: every partition of the three tables with its range
-- and size. The range is read back from the partition bound (NULL for a default partition).
CREATE VIEW etl.staging_partitions AS
SELECT format('%I.%I', pn.nspname, pc.relname)                          AS staging_table,
       format('%I.%I', n.nspname, c.relname)                            AS partition_name,
       pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'                   AS is_default,
       (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']*)''\) TO'))[1]::timestamptz
                                                                        AS range_from,
       (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']*)''\)'))[1]::timestamptz
                                                                        AS range_to,
       c.reltuples::bigint                                              AS estimated_rows,
       pg_total_relation_size(c.oid)                                    AS bytes
FROM pg_inherits i
     JOIN pg_class c ON c.oid = i.inhrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_class pc ON pc.oid = i.inhparent
     JOIN pg_namespace pn ON pn.oid = pc.relnamespace
WHERE i.inhparent IN ('staging.pin_events'::regclass, 'staging.geo_events'::regclass,
                      'staging.user_events'::regclass)
  AND c.relkind = 'r';
COMMENT ON VIEW etl.staging_partitions IS 'Every partition of the staging tables: its UTC range (NULL for the default partition), estimated rows (-1: never vacuumed or analyzed) and bytes with indexes';
COMMENT ON COLUMN etl.staging_partitions.staging_table IS 'The partitioned staging table';
COMMENT ON COLUMN etl.staging_partitions.partition_name IS 'The partition';
COMMENT ON COLUMN etl.staging_partitions.is_default IS 'True for the default partition, which holds rows no day partition covers';
COMMENT ON COLUMN etl.staging_partitions.range_from IS 'First kafka_timestamp of the partition (inclusive)';
COMMENT ON COLUMN etl.staging_partitions.range_to IS 'End of the partition''s range (exclusive)';
COMMENT ON COLUMN etl.staging_partitions.estimated_rows IS 'pg_class.reltuples: rows at the last vacuum or analyze, -1 if never';
COMMENT ON COLUMN etl.staging_partitions.bytes IS 'Size on disk, indexes and TOAST included';

CREATE TABLE etl.retention_runs (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ran_at             timestamptz NOT NULL DEFAULT now(),
    staging_table      text        NOT NULL,
    cutoff             timestamptz NOT NULL,
    partitions_dropped int         NOT NULL,
    rows_dropped       bigint      NOT NULL
);
COMMENT ON TABLE etl.retention_runs IS 'One row per staging table and pinpipe retention run that dropped rows of it, in the same transaction: since then staging no longer holds every message, so a rebuild from staging covers only what it keeps';
COMMENT ON COLUMN etl.retention_runs.id IS 'Surrogate key';
COMMENT ON COLUMN etl.retention_runs.ran_at IS 'When the run committed';
COMMENT ON COLUMN etl.retention_runs.staging_table IS 'The staging table the rows were dropped from';
COMMENT ON COLUMN etl.retention_runs.cutoff IS 'Staging rows with a kafka_timestamp before this were dropped';
COMMENT ON COLUMN etl.retention_runs.partitions_dropped IS 'Day partitions of the table dropped';
COMMENT ON COLUMN etl.retention_runs.rows_dropped IS 'Rows dropped (partition estimates or counts, plus rows deleted from the default partition)';

SELECT etl.grant_if_role_exists('pinpipe_loader', 'GRANT SELECT, INSERT ON staging.pin_events, staging.geo_events, staging.user_events TO %s');
SELECT etl.grant_if_role_exists('pinpipe_loader', 'GRANT SELECT ON etl.staging_partitions TO %s');
