-- pinpipe refresh --rebuild set-based (#13): 0041's rebuild folded each whole staging table
-- through the triggers' statement (a retraction join against the table being filled, upserts
-- with ON CONFLICT, the clean tables probed row by row) and took 246.8 s on 1M events, against
-- 7.3 s for the old full refresh. Now, after emptying everything:
--   1. each clean table is one INSERT of the latest message per ind of its staging table;
--   2. the counts are two statements: every geolocation as an addition (what it joins with a
--      pin counts in the per-country and per-year tables), then every user (the per-age-group
--      and per-join-year tables and the users per join year).
-- The pieces are the fold's own: the latest message per ind (analytics.latest_messages_sql),
-- the group keys of a change (analytics.changes_sql) and the count upserts
-- (analytics.count_deltas_sql), so a rebuild and the triggers cannot disagree: it is the fold of
-- all pins, then all geolocations, then all users, into empty tables, without the work that only
-- matters when a row is already there. The fold statement is rebuilt from the same pieces.

-- The latest message per ind of a relation of staging rows, cleaned: the columns of the kind's
-- clean table in order, sorted by ind.
CREATE FUNCTION analytics.latest_messages_sql(kind text, source text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    fields_function constant text := CASE kind WHEN 'pin' THEN 'pin_fields' WHEN 'geo' THEN 'geolocation_fields' WHEN 'user' THEN 'user_fields' END;
BEGIN
    IF fields_function IS NULL THEN
        RAISE EXCEPTION 'unknown event kind "%"', kind USING HINT = 'use pin, geo or user';
    END IF;
    RETURN format($f$
    SELECT DISTINCT ON (f.ind) f.*, e.kafka_timestamp, e.kafka_partition, e.kafka_offset, e.kafka_topic
    FROM %1$s AS e
    CROSS JOIN LATERAL clean.%2$I(e.payload) AS f
    WHERE f.ind IS NOT NULL
    ORDER BY f.ind, coalesce(e.kafka_timestamp, '-infinity') DESC, e.kafka_partition DESC,
             e.kafka_offset DESC, e.kafka_topic DESC$f$, source, fields_function);
END
$$;
COMMENT ON FUNCTION analytics.latest_messages_sql(text, text) IS
    'SQL of the latest message per ind of a relation of staging rows of one kind (pin, geo, user), cleaned: the rows of its clean table, by Kafka coordinates only';
REVOKE ALL ON FUNCTION analytics.latest_messages_sql(text, text) FROM PUBLIC;

-- The group keys of a relation `changed` (sign, then the columns of the kind's clean table)
-- joined with the current rows of the other two kinds: the rows analytics.count_deltas_sql
-- reads. A geolocation counts only with its pin; a user counts in user_join_year_counts without
-- one.
CREATE FUNCTION analytics.changes_sql(kind text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    RETURN CASE kind
        WHEN 'pin' THEN $q$
            SELECT c.sign, c.category, c.poster_name, c.follower_count, g.country,
                   analytics.post_year(g."timestamp") AS post_year, clean.age_group(u.age) AS age_group,
                   analytics.join_year(u.date_joined) AS join_year, false AS user_joined
            FROM changed AS c
            LEFT JOIN clean.geolocations AS g ON g.ind = c.ind
            LEFT JOIN clean.users AS u ON u.ind = c.ind $q$
        WHEN 'geo' THEN $q$
            SELECT c.sign, p.category, p.poster_name, p.follower_count, c.country,
                   analytics.post_year(c."timestamp") AS post_year, NULL::text AS age_group,
                   NULL::integer AS join_year, false AS user_joined
            FROM changed AS c
            JOIN clean.pins AS p ON p.ind = c.ind $q$
        WHEN 'user' THEN $q$
            SELECT c.sign, p.category, p.poster_name, p.follower_count, NULL::text AS country,
                   NULL::integer AS post_year, clean.age_group(c.age) AS age_group,
                   analytics.join_year(c.date_joined) AS join_year, true AS user_joined
            FROM changed AS c
            LEFT JOIN clean.pins AS p ON p.ind = c.ind $q$
    END;
END
$$;
COMMENT ON FUNCTION analytics.changes_sql(text) IS
    'SQL of the count-table group keys of the changed rows of one kind (relation changed: sign, then the clean row), joined with the current rows of the other kinds';
REVOKE ALL ON FUNCTION analytics.changes_sql(text) FROM PUBLIC;

-- 0043's fold statement, assembled from the shared pieces (the same statement).
CREATE OR REPLACE FUNCTION analytics.fold_statement(kind text, source text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    clean_table constant text := CASE kind WHEN 'pin' THEN 'pins' WHEN 'geo' THEN 'geolocations' WHEN 'user' THEN 'users' END;
    set_list text;
BEGIN
    IF clean_table IS NULL THEN
        RAISE EXCEPTION 'unknown event kind "%"', kind USING HINT = 'use pin, geo or user';
    END IF;
    SELECT string_agg(format('%I = excluded.%I', a.attname, a.attname), ', ' ORDER BY a.attnum)
    INTO set_list
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = format('clean.%I', clean_table)::regclass AND a.attnum > 0
      AND NOT a.attisdropped AND a.attname <> 'ind';
    RETURN format($f$
WITH batch AS (%2$s
), winners AS (
    SELECT b.*
    FROM batch AS b
    LEFT JOIN clean.%1$I AS o ON o.ind = b.ind
    WHERE o.ind IS NULL
       OR (coalesce(b.kafka_timestamp, '-infinity'), b.kafka_partition, b.kafka_offset, b.kafka_topic)
          > (coalesce(o.kafka_timestamp, '-infinity'), o.kafka_partition, o.kafka_offset, o.kafka_topic)
), stored AS (
    INSERT INTO clean.%1$I
    SELECT * FROM winners ORDER BY ind
    ON CONFLICT (ind) DO UPDATE SET %3$s
), changed AS (
    SELECT -1 AS sign, o.* FROM clean.%1$I AS o JOIN winners AS w ON w.ind = o.ind
    UNION ALL
    SELECT 1, w.* FROM winners AS w
), changes AS MATERIALIZED (%4$s
), %5$s$f$, clean_table, analytics.latest_messages_sql(kind, source), set_list,
                  analytics.changes_sql(kind), analytics.count_deltas_sql());
END
$$;

-- work_mem: the sorts of whole staging tables (DISTINCT ON per ind) and the joins of whole clean
-- tables stay in memory up to a few million rows instead of spilling in 4 MB runs.
CREATE OR REPLACE FUNCTION analytics.rebuild_live_state()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET work_mem = '512MB'
AS $$
BEGIN
    PERFORM analytics.lock_live_state();
    TRUNCATE clean.pins, clean.geolocations, clean.users,
             analytics.category_country_counts, analytics.category_year_counts,
             analytics.poster_follower_counts, analytics.category_age_group_counts,
             analytics.follower_age_group_counts, analytics.follower_join_year_counts,
             analytics.follower_age_group_join_year_counts, analytics.user_join_year_counts,
             analytics.follower_bucket_age_group_counts, analytics.follower_bucket_join_year_counts,
             analytics.follower_bucket_age_group_join_year_counts;
    -- 1. The clean tables: the latest message per ind, inserted in ind order.
    EXECUTE 'INSERT INTO clean.pins ' || analytics.latest_messages_sql('pin', 'staging.pin_events');
    EXECUTE 'INSERT INTO clean.geolocations ' || analytics.latest_messages_sql('geo', 'staging.geo_events');
    EXECUTE 'INSERT INTO clean.users ' || analytics.latest_messages_sql('user', 'staging.user_events');
    ANALYZE clean.pins, clean.geolocations, clean.users;
    -- 2. The counts: every geolocation, then every user, added (the pins were folded first and
    -- contributed nothing alone).
    EXECUTE format('WITH changed AS (SELECT 1 AS sign, r.* FROM clean.geolocations AS r), changes AS MATERIALIZED (%s), %s',
                   analytics.changes_sql('geo'), analytics.count_deltas_sql());
    EXECUTE format('WITH changed AS (SELECT 1 AS sign, r.* FROM clean.users AS r), changes AS MATERIALIZED (%s), %s',
                   analytics.changes_sql('user'), analytics.count_deltas_sql());
END
$$;
