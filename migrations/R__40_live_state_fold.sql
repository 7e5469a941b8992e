-- Repeatable (pinpipe migrate applies it again whenever this file changes): the live state's
-- fold, whole. Every statement that inserts into staging.pin_events, geo_events or user_events
-- fires a statement-level trigger that folds its rows, in the same transaction, into clean.pins,
-- clean.geolocations and clean.users (one row per ind: the latest message wins by Kafka
-- coordinates, i.e. newest kafka_timestamp, a message without one losing, then highest partition,
-- offset and topic) and into the analytics.*_counts tables that the nine answers read (R__50).
--
-- A message that replaces the clean row of its ind retracts what the old row contributed (-1)
-- and adds what the new one contributes (+1), joined with the current rows of the other two
-- kinds; a geolocation or user arriving after its pin joins when it arrives, and the other way
-- round. The follower counts are kept as multisets (value -> pins) per group, and as the same
-- pins per value bucket, which give the maxima and the exact medians. A count that falls to 0
-- keeps its row; the answers read rows with a positive count only.
--
-- Concurrency: every fold first takes one transaction-level advisory lock
-- (analytics.lock_live_state), so the folds of concurrent writers run one after another: exact,
-- and the folds cannot deadlock among themselves, since there is one lock only, taken before any
-- row of clean or analytics. A transaction that holds it can still wait for another's staging
-- rows or offsets row (two consumers on one partition for a moment, after a lease handover):
-- PostgreSQL then ends one of the two with a deadlock error, and its consumer writes the batch
-- again. The parsing, staging insert and index work of a COPY run before the trigger, in
-- parallel.
--
-- Grants: the functions that build or run statements are revoked from PUBLIC; the group-key and
-- bucket functions keep EXECUTE for PUBLIC. A change here that changes what the fold computes
-- leaves the stored live state as the old fold made it: run pinpipe refresh --rebuild after
-- migrate (a versioned migration runs before this file is applied again, so it would rebuild
-- with the old fold).

-- Group keys ------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION analytics.post_year(posted_at timestamp)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN date_part('year', posted_at)::integer;
COMMENT ON FUNCTION analytics.post_year(timestamp without time zone) IS
    'Year of a post (its geolocation timestamp), every year; NULL for NULL';

CREATE OR REPLACE FUNCTION analytics.join_year(date_joined timestamp)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN date_part('year', date_joined)::integer;
COMMENT ON FUNCTION analytics.join_year(timestamp without time zone) IS
    'Year a user joined, every year; NULL for NULL';

-- The follower-count buckets of the medians' upper level: a bucket is a range of follower counts
-- with one leading decimal digit ([0], [1], ..., [9], [10, 20), ..., [90, 100), [100, 200), ...),
-- at most 9 per decade.
CREATE OR REPLACE FUNCTION analytics.follower_bucket_width(follower_count bigint)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- 10^(digits - 1); a bigint has at most 19 digits. Below 10 (negative counts cannot be cleaned,
-- but the function stays total) every value is a bucket of its own.
RETURN CASE
    WHEN follower_count < 10 THEN 1
    ELSE ('{1,10,100,1000,10000,100000,1000000,10000000,100000000,1000000000,10000000000,100000000000,1000000000000,10000000000000,100000000000000,1000000000000000,10000000000000000,100000000000000000,1000000000000000000}'::bigint[])[length(follower_count::text)]
END;
COMMENT ON FUNCTION analytics.follower_bucket_width(bigint) IS
    'Width of the follower-count bucket of a value: 10^(digits - 1) (1 below 10); a bucket and its values have the same width';

CREATE OR REPLACE FUNCTION analytics.follower_bucket(follower_count bigint)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN follower_count - CASE WHEN follower_count < 10 THEN 0
                             ELSE follower_count % analytics.follower_bucket_width(follower_count) END;
COMMENT ON FUNCTION analytics.follower_bucket(bigint) IS
    'Lower bound of the bucket of a follower count: the value with all but its leading digit zeroed (7 -> 7, 985 -> 900, 7000 -> 7000, 12345 -> 10000); the bucket holds [bucket, bucket + follower_bucket_width(bucket))';

CREATE OR REPLACE FUNCTION analytics.follower_bucket_last(bucket bigint)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- bucket + width - 1 without overflow: the bucket from 9 * 10^18 ends at the largest bigint.
RETURN CASE WHEN bucket >= 9000000000000000000 THEN 9223372036854775807
            ELSE bucket + (analytics.follower_bucket_width(bucket) - 1) END;
COMMENT ON FUNCTION analytics.follower_bucket_last(bigint) IS
    'Highest follower count of the bucket that starts at bucket (analytics.follower_bucket): bucket + follower_bucket_width(bucket) - 1';

-- The fold ----------------------------------------------------------------------------------------

-- The one lock every writer of the live state takes first. Its wait is bounded by the waiter's
-- lock_timeout (pinpipe load and stream set --lock-timeout-ms); past it, the error names who
-- holds the lock: a hung peer that its lease has not ended yet, a refresh --rebuild, an
-- administrator's open transaction.
CREATE OR REPLACE FUNCTION analytics.lock_live_state()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    fold_lock constant bigint := hashtextextended('pinpipe/live-state', 0);
    holder record;
BEGIN
    PERFORM pg_advisory_xact_lock(fold_lock);
EXCEPTION WHEN lock_not_available THEN
    -- A bigint advisory key shows in pg_locks as classid (high 32 bits) and objid (low 32).
    SELECT a.pid, a.usename, a.application_name,
           date_trunc('second', now() - a.xact_start) AS in_transaction
    INTO holder
    FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.classid::bigint = ((fold_lock >> 32) & 4294967295)
      AND l.objid::bigint = (fold_lock & 4294967295)
    LIMIT 1;
    IF holder.pid IS NULL THEN
        -- Released between the timeout and this look: the batch simply runs again.
        RAISE EXCEPTION 'waited longer than lock_timeout (%) for the live state''s fold lock, which its holder has released since',
                current_setting('lock_timeout')
            USING ERRCODE = 'lock_not_available';
    END IF;
    RAISE EXCEPTION 'waited longer than lock_timeout (%) for the live state''s fold lock, held by pid % (role %, application_name "%", in its transaction for %)',
            current_setting('lock_timeout'), holder.pid, holder.usename, holder.application_name,
            holder.in_transaction
        USING ERRCODE = 'lock_not_available',
              HINT = 'a pinpipe consumer ends a hung peer once its --claim-lease-ms runs out; anything else holding the lock must commit or be ended (pg_terminate_backend)';
END
$$;
COMMENT ON FUNCTION analytics.lock_live_state() IS
    'Takes the transaction-level advisory lock that serializes every change to clean.* and the analytics counts; a wait beyond lock_timeout fails naming the session that holds it';
REVOKE ALL ON FUNCTION analytics.lock_live_state() FROM PUBLIC;

-- The latest message per ind of a relation of staging rows of one kind, cleaned: the columns of
-- the kind's clean table in order, sorted by ind. `fields` are read from each payload once (the
-- subquery, kept by OFFSET 0, makes them columns, so that a rule naming its argument several
-- times does not read the field again for each mention); `columns` apply the rules to them. This
-- is the one place that maps a message to its clean row.
CREATE OR REPLACE FUNCTION analytics.latest_messages_sql(kind text, source text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    fields text;
    columns text;
BEGIN
    CASE kind
        WHEN 'pin' THEN
            fields := $q$clean.jsonb_to_bigint(e.payload -> 'index') AS ind,
                   clean.string_field(e.payload, 'unique_id') AS unique_id,
                   clean.string_field(e.payload, 'title') AS title,
                   clean.string_field(e.payload, 'description') AS description,
                   clean.string_field(e.payload, 'follower_count') AS follower_count,
                   clean.string_field(e.payload, 'poster_name') AS poster_name,
                   clean.string_field(e.payload, 'tag_list') AS tag_list,
                   clean.string_field(e.payload, 'is_image_or_video') AS is_image_or_video,
                   clean.string_field(e.payload, 'image_src') AS image_src,
                   clean.string_field(e.payload, 'save_location') AS save_location,
                   clean.string_field(e.payload, 'category') AS category$q$;
            columns := $q$f.ind, f.unique_id, f.title, f.description,
           clean.follower_count(f.follower_count) AS follower_count, f.poster_name, f.tag_list,
           f.is_image_or_video, f.image_src, clean.save_location_path(f.save_location) AS save_location,
           f.category$q$;
        WHEN 'geo' THEN
            fields := $q$clean.jsonb_to_bigint(e.payload -> 'ind') AS ind,
                   clean.string_field(e.payload, 'country') AS country,
                   e.payload -> 'latitude' AS latitude,
                   e.payload -> 'longitude' AS longitude,
                   clean.string_field(e.payload, 'timestamp') AS posted_at$q$;
            columns := $q$f.ind, f.country,
           ARRAY[clean.jsonb_to_double(f.latitude), clean.jsonb_to_double(f.longitude)] AS coordinates,
           clean.text_to_timestamp(f.posted_at) AS "timestamp"$q$;
        WHEN 'user' THEN
            fields := $q$clean.jsonb_to_bigint(e.payload -> 'ind') AS ind,
                   clean.string_field(e.payload, 'first_name') AS first_name,
                   clean.string_field(e.payload, 'last_name') AS last_name,
                   e.payload -> 'age' AS age,
                   clean.string_field(e.payload, 'date_joined') AS date_joined$q$;
            -- NULL when either name is missing, as the concatenation of §6 gives.
            columns := $q$f.ind, f.first_name || ' ' || f.last_name AS user_name,
           clean.jsonb_to_integer(f.age) AS age, clean.text_to_timestamp(f.date_joined) AS date_joined$q$;
        ELSE
            RAISE EXCEPTION 'unknown event kind "%"', kind USING HINT = 'use pin, geo or user';
    END CASE;
    RETURN format($f$
    SELECT DISTINCT ON (f.ind) %3$s,
           f.kafka_timestamp, f.kafka_partition, f.kafka_offset, f.kafka_topic
    FROM (SELECT %2$s,
                 e.kafka_timestamp, e.kafka_partition, e.kafka_offset, e.kafka_topic
          FROM %1$s AS e
          OFFSET 0) AS f
    WHERE f.ind IS NOT NULL
    ORDER BY f.ind, coalesce(f.kafka_timestamp, '-infinity') DESC, f.kafka_partition DESC,
             f.kafka_offset DESC, f.kafka_topic DESC$f$, source, fields, columns);
END
$$;
COMMENT ON FUNCTION analytics.latest_messages_sql(text, text) IS
    'SQL of the latest message per ind of a relation of staging rows of one kind (pin, geo, user), cleaned: the rows of its clean table, by Kafka coordinates only';
REVOKE ALL ON FUNCTION analytics.latest_messages_sql(text, text) FROM PUBLIC;

-- The group keys of a relation `changed` (sign, then the columns of the kind's clean table)
-- joined with the current rows of the other two kinds: the rows analytics.count_deltas_sql
-- reads. A geolocation counts only with its pin; a user counts in user_join_year_counts without
-- one.
CREATE OR REPLACE FUNCTION analytics.changes_sql(kind text)
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

-- The additive upserts of every count table, as CTEs c1..c11 reading a relation `changes`: one
-- text for the fold and the rebuild. Each upsert aggregates its deltas by hash, in no particular
-- order: the fold lock makes the writers of the counts run one at a time, so no order of row
-- locks is needed.
CREATE OR REPLACE FUNCTION analytics.count_deltas_sql()
RETURNS text
LANGUAGE sql IMMUTABLE
RETURN $f$
c1 AS (
    INSERT INTO analytics.category_country_counts AS t (country, category, pins)
    SELECT c.country, c.category, sum(c.sign) FROM changes AS c
    WHERE c.country IS NOT NULL AND c.category IS NOT NULL
    GROUP BY 1, 2 HAVING sum(c.sign) <> 0
    ON CONFLICT (country, category) DO UPDATE SET pins = t.pins + excluded.pins
), c2 AS (
    INSERT INTO analytics.category_year_counts AS t (post_year, category, pins)
    SELECT c.post_year, c.category, sum(c.sign) FROM changes AS c
    WHERE c.post_year IS NOT NULL AND c.category IS NOT NULL
    GROUP BY 1, 2 HAVING sum(c.sign) <> 0
    ON CONFLICT (post_year, category) DO UPDATE SET pins = t.pins + excluded.pins
), c3 AS (
    INSERT INTO analytics.poster_follower_counts AS t (country, follower_count, poster_name, pins)
    SELECT c.country, c.follower_count, c.poster_name, sum(c.sign) FROM changes AS c
    WHERE c.country IS NOT NULL AND c.follower_count IS NOT NULL AND c.poster_name IS NOT NULL
    GROUP BY 1, 2, 3 HAVING sum(c.sign) <> 0
    ON CONFLICT (country, follower_count, poster_name) DO UPDATE SET pins = t.pins + excluded.pins
), c4 AS (
    INSERT INTO analytics.category_age_group_counts AS t (age_group, category, pins)
    SELECT c.age_group, c.category, sum(c.sign) FROM changes AS c
    WHERE c.age_group IS NOT NULL AND c.category IS NOT NULL
    GROUP BY 1, 2 HAVING sum(c.sign) <> 0
    ON CONFLICT (age_group, category) DO UPDATE SET pins = t.pins + excluded.pins
), c5 AS (
    INSERT INTO analytics.follower_age_group_counts AS t (age_group, follower_count, pins)
    SELECT c.age_group, c.follower_count, sum(c.sign) FROM changes AS c
    WHERE c.age_group IS NOT NULL AND c.follower_count IS NOT NULL
    GROUP BY 1, 2 HAVING sum(c.sign) <> 0
    ON CONFLICT (age_group, follower_count) DO UPDATE SET pins = t.pins + excluded.pins
), c6 AS (
    INSERT INTO analytics.follower_join_year_counts AS t (join_year, follower_count, pins)
    SELECT c.join_year, c.follower_count, sum(c.sign) FROM changes AS c
    WHERE c.join_year IS NOT NULL AND c.follower_count IS NOT NULL
    GROUP BY 1, 2 HAVING sum(c.sign) <> 0
    ON CONFLICT (join_year, follower_count) DO UPDATE SET pins = t.pins + excluded.pins
), c7 AS (
    INSERT INTO analytics.follower_age_group_join_year_counts AS t (age_group, join_year, follower_count, pins)
    SELECT c.age_group, c.join_year, c.follower_count, sum(c.sign) FROM changes AS c
    WHERE c.age_group IS NOT NULL AND c.join_year IS NOT NULL AND c.follower_count IS NOT NULL
    GROUP BY 1, 2, 3 HAVING sum(c.sign) <> 0
    ON CONFLICT (age_group, join_year, follower_count) DO UPDATE SET pins = t.pins + excluded.pins
), c8 AS (
    INSERT INTO analytics.user_join_year_counts AS t (join_year, users)
    SELECT c.join_year, sum(c.sign) FROM changes AS c
    WHERE c.user_joined AND c.join_year IS NOT NULL
    GROUP BY 1 HAVING sum(c.sign) <> 0
    ON CONFLICT (join_year) DO UPDATE SET users = t.users + excluded.users
), c9 AS (
    INSERT INTO analytics.follower_bucket_age_group_counts AS t (age_group, bucket, pins)
    SELECT c.age_group, analytics.follower_bucket(c.follower_count), sum(c.sign) FROM changes AS c
    WHERE c.age_group IS NOT NULL AND c.follower_count IS NOT NULL
    GROUP BY 1, 2 HAVING sum(c.sign) <> 0
    ON CONFLICT (age_group, bucket) DO UPDATE SET pins = t.pins + excluded.pins
), c10 AS (
    INSERT INTO analytics.follower_bucket_join_year_counts AS t (join_year, bucket, pins)
    SELECT c.join_year, analytics.follower_bucket(c.follower_count), sum(c.sign) FROM changes AS c
    WHERE c.join_year IS NOT NULL AND c.follower_count IS NOT NULL
    GROUP BY 1, 2 HAVING sum(c.sign) <> 0
    ON CONFLICT (join_year, bucket) DO UPDATE SET pins = t.pins + excluded.pins
), c11 AS (
    INSERT INTO analytics.follower_bucket_age_group_join_year_counts AS t (age_group, join_year, bucket, pins)
    SELECT c.age_group, c.join_year, analytics.follower_bucket(c.follower_count), sum(c.sign) FROM changes AS c
    WHERE c.age_group IS NOT NULL AND c.join_year IS NOT NULL AND c.follower_count IS NOT NULL
    GROUP BY 1, 2, 3 HAVING sum(c.sign) <> 0
    ON CONFLICT (age_group, join_year, bucket) DO UPDATE SET pins = t.pins + excluded.pins
)
SELECT$f$;
COMMENT ON FUNCTION analytics.count_deltas_sql() IS
    'The additive upserts of every analytics.*_counts table (CTEs c1..c11) from a relation named changes; shared by the fold statement and the rebuild';
REVOKE ALL ON FUNCTION analytics.count_deltas_sql() FROM PUBLIC;

-- The statement that folds the messages of one kind (kind: pin, geo or user) read from `source`
-- (a trigger's transition table) into clean.* and the counts:
--   batch:    the latest message per ind of the source (analytics.latest_messages_sql);
--   winners:  those that beat the stored row of their ind (or have none), marked `replaces`
--             when there is one;
--   inserted: the new inds, a plain INSERT; updated: the replaced rows, an UPDATE (nothing else
--             inserts an ind meanwhile: every writer of clean.* holds the fold lock);
--   changed:  the stored rows they replace (sign -1, read in the statement's snapshot, before the
--             update) and the winners (sign +1);
--   changes:  each change joined with the current rows of the other kinds (analytics.changes_sql);
--   c1..c11:  one additive upsert per count table (analytics.count_deltas_sql).
-- One statement, so that `changes` is computed once and read by every upsert.
CREATE OR REPLACE FUNCTION analytics.fold_statement(kind text, source text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    clean_table constant text := CASE kind WHEN 'pin' THEN 'pins' WHEN 'geo' THEN 'geolocations' WHEN 'user' THEN 'users' END;
    columns text;
    winner_columns text;
    set_list text;
BEGIN
    IF clean_table IS NULL THEN
        RAISE EXCEPTION 'unknown event kind "%"', kind USING HINT = 'use pin, geo or user';
    END IF;
    SELECT string_agg(format('%I', a.attname), ', ' ORDER BY a.attnum),
           string_agg(format('w.%I', a.attname), ', ' ORDER BY a.attnum),
           string_agg(format('%I = w.%I', a.attname, a.attname), ', ' ORDER BY a.attnum)
               FILTER (WHERE a.attname <> 'ind')
    INTO columns, winner_columns, set_list
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = format('clean.%I', clean_table)::regclass AND a.attnum > 0
      AND NOT a.attisdropped;
    RETURN format($f$
WITH batch AS (%2$s
), winners AS (
    SELECT b.*, o.ind IS NOT NULL AS replaces
    FROM batch AS b
    LEFT JOIN clean.%1$I AS o ON o.ind = b.ind
    WHERE o.ind IS NULL
       OR (coalesce(b.kafka_timestamp, '-infinity'), b.kafka_partition, b.kafka_offset, b.kafka_topic)
          > (coalesce(o.kafka_timestamp, '-infinity'), o.kafka_partition, o.kafka_offset, o.kafka_topic)
), inserted AS (
    INSERT INTO clean.%1$I (%3$s)
    SELECT %4$s FROM winners AS w WHERE NOT w.replaces
), updated AS (
    UPDATE clean.%1$I AS t SET %5$s
    FROM winners AS w
    WHERE w.replaces AND t.ind = w.ind
), changed AS (
    SELECT -1 AS sign, o.* FROM clean.%1$I AS o JOIN winners AS w ON w.ind = o.ind AND w.replaces
    UNION ALL
    SELECT 1, %4$s FROM winners AS w
), changes AS MATERIALIZED (%6$s
), %7$s$f$, clean_table, analytics.latest_messages_sql(kind, source), columns, winner_columns,
                  set_list, analytics.changes_sql(kind), analytics.count_deltas_sql());
END
$$;
COMMENT ON FUNCTION analytics.fold_statement(text, text) IS
    'The SQL statement that folds the messages of one kind (pin, geo, user) read from a relation into clean.* and the analytics counts: latest message per ind, retraction of the rows it replaces, additive count upserts';
REVOKE ALL ON FUNCTION analytics.fold_statement(text, text) FROM PUBLIC;

-- The trigger of the three staging tables (TG_ARGV[0]: the kind). Dynamic SQL reads the
-- statement's transition table like any relation. SECURITY DEFINER: the loader writes staging
-- only, and the function (owned by the migrating role) writes clean and analytics.
-- work_mem: a batch of 20,000 messages sorts about 10 MB of cleaned rows; the default 4 MB
-- would send every such sort to disk. enable_memoize: a memoizing cache keyed by the whole
-- payload, which never repeats, would only cost.
CREATE OR REPLACE FUNCTION clean.apply_staging_events()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
SET enable_memoize = off
AS $$
BEGIN
    PERFORM analytics.lock_live_state();
    EXECUTE analytics.fold_statement(TG_ARGV[0], 'new_rows');
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION clean.apply_staging_events() IS
    'Trigger on staging.*_events: folds the statement''s new rows into clean.* and the analytics counts (argument: pin, geo or user)';
REVOKE ALL ON FUNCTION clean.apply_staging_events() FROM PUBLIC;

-- Statement-level AFTER triggers with transition tables: they fire in the transaction of whatever
-- writes staging (pinpipe load, dlq replay, import, a COPY typed by hand), once per statement,
-- with the statement's rows as a relation: one set-based fold per COPY, not one call per row.
CREATE OR REPLACE TRIGGER apply_to_clean AFTER INSERT ON staging.pin_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION clean.apply_staging_events('pin');
CREATE OR REPLACE TRIGGER apply_to_clean AFTER INSERT ON staging.geo_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION clean.apply_staging_events('geo');
CREATE OR REPLACE TRIGGER apply_to_clean AFTER INSERT ON staging.user_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION clean.apply_staging_events('user');

-- Rebuild ---------------------------------------------------------------------------------------

-- clean.* and the counts recomputed from all of staging (pinpipe refresh --rebuild), set-based
-- from the fold's own pieces, so that a rebuild and the triggers cannot disagree: after emptying
-- everything, each clean table is one INSERT of the latest message per ind of its staging table;
-- then every geolocation, then every user is added to the counts (a pin alone contributes
-- nothing). It is the fold of all pins, then all geolocations, then all users, into empty
-- tables. work_mem: the sorts of whole staging tables and the joins of whole clean tables stay
-- in memory up to a few million rows.
--
-- The TRUNCATE waits for every open transaction that has read these tables (a BI tool's left
-- open, say) while the rebuild holds the fold lock, and every load waits behind it: that wait is
-- bounded (truncate_wait), and past it the rebuild fails naming those sessions.
CREATE OR REPLACE FUNCTION analytics.rebuild_live_state()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET work_mem = '512MB'
SET enable_memoize = off
AS $$
DECLARE
    truncate_wait constant text := '5s';
    callers_lock_timeout constant text := current_setting('lock_timeout');
    live_state constant regclass[] := ARRAY[
        'clean.pins', 'clean.geolocations', 'clean.users',
        'analytics.category_country_counts', 'analytics.category_year_counts',
        'analytics.poster_follower_counts', 'analytics.category_age_group_counts',
        'analytics.follower_age_group_counts', 'analytics.follower_join_year_counts',
        'analytics.follower_age_group_join_year_counts', 'analytics.user_join_year_counts',
        'analytics.follower_bucket_age_group_counts', 'analytics.follower_bucket_join_year_counts',
        'analytics.follower_bucket_age_group_join_year_counts']::regclass[];
    readers text;
BEGIN
    PERFORM analytics.lock_live_state();
    PERFORM set_config('lock_timeout', truncate_wait, true);
    BEGIN
        EXECUTE 'TRUNCATE ' || (SELECT string_agg(r::text, ', ') FROM unnest(live_state) AS r);
    EXCEPTION WHEN lock_not_available THEN
        -- Another role's xact_start is visible to superusers and pg_read_all_stats only, and
        -- an autovacuum worker has no role.
        SELECT string_agg(DISTINCT format('pid %s (role %s, application_name "%s", in its transaction for %s)',
                                          a.pid, coalesce(a.usename::text, a.backend_type), a.application_name,
                                          coalesce(date_trunc('second', now() - a.xact_start)::text, 'a time hidden from this role')), ', ')
        INTO readers
        FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
        WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid()
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.relation = ANY (live_state);
        RAISE EXCEPTION 'waited longer than % for the sessions that read clean.* or the analytics counts to end their transactions: %',
                truncate_wait, coalesce(readers, 'they have ended since')
            USING ERRCODE = 'lock_not_available',
                  HINT = 'commit or end those transactions (a BI tool''s open transaction, say; pg_terminate_backend) and run pinpipe refresh --rebuild again; loads waited for the rebuild meanwhile';
    END;
    PERFORM set_config('lock_timeout', callers_lock_timeout, true);
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
COMMENT ON FUNCTION analytics.rebuild_live_state() IS
    'Recomputes clean.* and the analytics counts from all of staging (pinpipe refresh --rebuild); exact while retention has dropped no staging partition';
REVOKE ALL ON FUNCTION analytics.rebuild_live_state() FROM PUBLIC;

