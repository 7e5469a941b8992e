-- Repeatable (pinpipe migrate applies it again whenever this file changes): the day partitions
-- of staging.pin_events, geo_events and user_events (range-partitioned by kafka_timestamp, one
-- partition per UTC day, since 0031): the functions that make them, which pinpipe retention
-- calls, and the view that pinpipe retention and status read. A row of any timestamp lands: one
-- without a day partition waits in the table's default partition until etl.make_staging_partitions
-- files it (rows more than days_ahead days in the future wait until their day is near, so that a
-- wrong clock cannot create thousands of partitions; rows without a timestamp stay there).
-- The functions keep EXECUTE for PUBLIC (creating a partition still needs the owner's rights
-- on the staging tables). The view grants SELECT to pinpipe_loader; the default privileges of
-- schema etl (0001) also gave it INSERT and UPDATE, which a view over a join cannot take.

CREATE OR REPLACE FUNCTION etl.create_staging_partition(parent regclass, day date)
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

CREATE OR REPLACE FUNCTION etl.make_staging_partitions(days_ahead int DEFAULT 7)
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
COMMENT ON FUNCTION etl.make_staging_partitions(integer) IS
    'Creates the staging day partitions from today to days_ahead days ahead (UTC) and for every day up to then that has rows waiting in a default partition; returns what it created';

CREATE OR REPLACE VIEW etl.staging_partitions AS
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
COMMENT ON VIEW etl.staging_partitions IS
    'Every partition of the staging tables: its UTC range (NULL for the default partition), estimated rows (-1: never vacuumed or analyzed) and bytes with indexes';
COMMENT ON COLUMN etl.staging_partitions.staging_table IS 'The partitioned staging table';
COMMENT ON COLUMN etl.staging_partitions.partition_name IS 'The partition';
COMMENT ON COLUMN etl.staging_partitions.is_default IS 'True for the default partition, which holds rows no day partition covers';
COMMENT ON COLUMN etl.staging_partitions.range_from IS 'First kafka_timestamp of the partition (inclusive)';
COMMENT ON COLUMN etl.staging_partitions.range_to IS 'End of the partition''s range (exclusive)';
COMMENT ON COLUMN etl.staging_partitions.estimated_rows IS 'pg_class.reltuples: rows at the last vacuum or analyze, -1 if never';
COMMENT ON COLUMN etl.staging_partitions.bytes IS 'Size on disk, indexes and TOAST included';

SELECT etl.grant_if_role_exists('pinpipe_loader', 'GRANT SELECT ON etl.staging_partitions TO %s');
