-- The nine answers of DESIGN §7 kept current by deltas (DESIGN §5): small count tables that the
-- staging triggers change in the transaction that writes staging, and the nine analytics views
-- as window functions over them. Reading an answer costs milliseconds at any history size.
--
-- A message that replaces the clean row of its ind retracts what the old row contributed (-1)
-- and adds what the new one contributes (+1), joined with the current rows of the other two
-- kinds; a geolocation or user arriving after its pin joins when it arrives, and the other way
-- round. The follower counts are kept as multisets (value -> pins) per group, which give the
-- maxima and the exact medians (percentile_cont(0.5), from cumulative counts). A count that falls
-- to 0 keeps its row (the key domains are small: categories, countries, years, follower values);
-- the views read rows with a positive count only.
--
-- Concurrency: every trigger first takes one transaction-level advisory lock, so the folds of
-- concurrent writers run one after another: exact, and no deadlock is possible because there is
-- one lock only, taken before any row of clean or analytics. The lock is held until commit; the
-- parsing, staging insert and index work of a COPY run before the trigger, in parallel.
--
-- Years are not cut (seed 003 covers every year): a BI user filters.

CREATE OR REPLACE FUNCTION analytics.post_year(posted_at timestamp)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN date_part('year', posted_at)::integer;
COMMENT ON FUNCTION analytics.post_year(timestamp) IS
    'Year of a post (its geolocation timestamp), every year; NULL for NULL';

CREATE OR REPLACE FUNCTION analytics.join_year(date_joined timestamp)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN date_part('year', date_joined)::integer;
COMMENT ON FUNCTION analytics.join_year(timestamp) IS
    'Year a user joined, every year; NULL for NULL';

-- Count tables ---------------------------------------------------------------------------------

CREATE TABLE analytics.category_country_counts (
    country  text   NOT NULL,
    category text   NOT NULL,
    pins     bigint NOT NULL,
    PRIMARY KEY (country, category)
);
CREATE TABLE analytics.category_year_counts (
    post_year integer NOT NULL,
    category  text    NOT NULL,
    pins      bigint  NOT NULL,
    PRIMARY KEY (post_year, category)
);
CREATE TABLE analytics.poster_follower_counts (
    country        text   NOT NULL,
    follower_count bigint NOT NULL,
    poster_name    text   NOT NULL,
    pins           bigint NOT NULL,
    PRIMARY KEY (country, follower_count, poster_name)
);
CREATE TABLE analytics.category_age_group_counts (
    age_group text   NOT NULL,
    category  text   NOT NULL,
    pins      bigint NOT NULL,
    PRIMARY KEY (age_group, category)
);
CREATE TABLE analytics.follower_age_group_counts (
    age_group      text   NOT NULL,
    follower_count bigint NOT NULL,
    pins           bigint NOT NULL,
    PRIMARY KEY (age_group, follower_count)
);
CREATE TABLE analytics.follower_join_year_counts (
    join_year      integer NOT NULL,
    follower_count bigint  NOT NULL,
    pins           bigint  NOT NULL,
    PRIMARY KEY (join_year, follower_count)
);
CREATE TABLE analytics.follower_age_group_join_year_counts (
    age_group      text    NOT NULL,
    join_year      integer NOT NULL,
    follower_count bigint  NOT NULL,
    pins           bigint  NOT NULL,
    PRIMARY KEY (age_group, join_year, follower_count)
);
CREATE TABLE analytics.user_join_year_counts (
    join_year integer NOT NULL PRIMARY KEY,
    users     bigint  NOT NULL
);

COMMENT ON TABLE analytics.category_country_counts IS 'Pins per (country, category) of joined pins and geolocations; feeds top_category_per_country';
COMMENT ON TABLE analytics.category_year_counts IS 'Pins per (year posted, category) of joined pins and geolocations; feeds top_category_per_year';
COMMENT ON TABLE analytics.poster_follower_counts IS 'Pins per (country, follower count, poster): the multiset that gives each country''s most followed poster';
COMMENT ON TABLE analytics.category_age_group_counts IS 'Pins per (age group, category) of joined pins and users; feeds top_category_per_age_group';
COMMENT ON TABLE analytics.follower_age_group_counts IS 'Pins per (age group, follower count): the multiset of the median per age group';
COMMENT ON TABLE analytics.follower_join_year_counts IS 'Pins per (join year, follower count): the multiset of the median per join year';
COMMENT ON TABLE analytics.follower_age_group_join_year_counts IS 'Pins per (age group, join year, follower count): the multiset of the median per both';
COMMENT ON TABLE analytics.user_join_year_counts IS 'Users (rows of clean.users) per join year; feeds users_joined_per_year';
DO $$
DECLARE
    col record;
BEGIN
    FOR col IN
        SELECT c.relname, a.attname
        FROM pg_catalog.pg_class AS c
        JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0
        WHERE c.relnamespace = 'analytics'::regnamespace AND c.relkind = 'r' AND c.relname LIKE '%\_counts'
    LOOP
        EXECUTE format('COMMENT ON COLUMN analytics.%I.%I IS %L', col.relname, col.attname,
                       CASE col.attname
                           WHEN 'country' THEN 'Country of the geolocation (clean.geolocations.country)'
                           WHEN 'category' THEN 'Category of the pin (clean.pins.category)'
                           WHEN 'post_year' THEN 'Year of the geolocation timestamp'
                           WHEN 'poster_name' THEN 'Poster of the pin (clean.pins.poster_name)'
                           WHEN 'follower_count' THEN 'Follower count of the pin (clean.pins.follower_count)'
                           WHEN 'age_group' THEN 'Age group of the user (clean.age_group)'
                           WHEN 'join_year' THEN 'Year the user joined'
                           WHEN 'pins' THEN 'Joined pins with these values (0 once all were retracted)'
                           WHEN 'users' THEN 'Users with this join year'
                       END);
    END LOOP;
END
$$;

-- Folding messages into the live state ---------------------------------------------------------

-- The one lock every writer of the live state takes first (see the top of this file).
CREATE FUNCTION analytics.lock_live_state()
RETURNS void
LANGUAGE sql
RETURN pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('pinpipe/live-state', 0));
COMMENT ON FUNCTION analytics.lock_live_state() IS
    'Takes the transaction-level advisory lock that serializes every change to clean.* and the analytics counts';

-- The statement that folds the messages of one kind (kind: pin, geo or user) read from `source`
-- (a trigger's transition table, or a staging table for a rebuild) into clean.* and the counts:
--   batch:    the latest message per ind of the source (DISTINCT ON, cleaned by clean.*_fields);
--   winners:  those that beat the stored row of their ind (or have none);
--   stored:   the winners upserted into the clean table;
--   changed:  the stored rows they replace (sign -1, read in the statement's snapshot, before the
--             upsert) and the winners (sign +1);
--   changes:  each change joined with the current rows of the other kinds, as the group keys of
--             the counts (NULL where a count does not need this kind or a value is missing);
--   c1..c8:   one additive upsert per count table, in key order.
-- One statement, so that `changes` is computed once and read by every upsert. The geolocation
-- changes need their pin; the user changes count in user_join_year_counts without one.
CREATE FUNCTION analytics.fold_statement(kind text, source text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    clean_table constant text := CASE kind WHEN 'pin' THEN 'pins' WHEN 'geo' THEN 'geolocations' WHEN 'user' THEN 'users' END;
    fields_function constant text := CASE kind WHEN 'pin' THEN 'pin_fields' WHEN 'geo' THEN 'geolocation_fields' WHEN 'user' THEN 'user_fields' END;
    changes_sql constant text := CASE kind
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
WITH batch AS (
    SELECT DISTINCT ON (f.ind) f.*, e.kafka_timestamp, e.kafka_partition, e.kafka_offset, e.kafka_topic
    FROM %2$s AS e
    CROSS JOIN LATERAL clean.%3$I(e.payload) AS f
    WHERE f.ind IS NOT NULL
    ORDER BY f.ind, coalesce(e.kafka_timestamp, '-infinity') DESC, e.kafka_partition DESC,
             e.kafka_offset DESC, e.kafka_topic DESC
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
    ON CONFLICT (ind) DO UPDATE SET %4$s
), changed AS (
    SELECT -1 AS sign, o.* FROM clean.%1$I AS o JOIN winners AS w ON w.ind = o.ind
    UNION ALL
    SELECT 1, w.* FROM winners AS w
), changes AS MATERIALIZED (%5$s
), c1 AS (
    INSERT INTO analytics.category_country_counts AS t (country, category, pins)
    SELECT c.country, c.category, sum(c.sign) FROM changes AS c
    WHERE c.country IS NOT NULL AND c.category IS NOT NULL
    GROUP BY 1, 2 HAVING sum(c.sign) <> 0 ORDER BY 1, 2
    ON CONFLICT (country, category) DO UPDATE SET pins = t.pins + excluded.pins
), c2 AS (
    INSERT INTO analytics.category_year_counts AS t (post_year, category, pins)
    SELECT c.post_year, c.category, sum(c.sign) FROM changes AS c
    WHERE c.post_year IS NOT NULL AND c.category IS NOT NULL
    GROUP BY 1, 2 HAVING sum(c.sign) <> 0 ORDER BY 1, 2
    ON CONFLICT (post_year, category) DO UPDATE SET pins = t.pins + excluded.pins
), c3 AS (
    INSERT INTO analytics.poster_follower_counts AS t (country, follower_count, poster_name, pins)
    SELECT c.country, c.follower_count, c.poster_name, sum(c.sign) FROM changes AS c
    WHERE c.country IS NOT NULL AND c.follower_count IS NOT NULL AND c.poster_name IS NOT NULL
    GROUP BY 1, 2, 3 HAVING sum(c.sign) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (country, follower_count, poster_name) DO UPDATE SET pins = t.pins + excluded.pins
), c4 AS (
    INSERT INTO analytics.category_age_group_counts AS t (age_group, category, pins)
    SELECT c.age_group, c.category, sum(c.sign) FROM changes AS c
    WHERE c.age_group IS NOT NULL AND c.category IS NOT NULL
    GROUP BY 1, 2 HAVING sum(c.sign) <> 0 ORDER BY 1, 2
    ON CONFLICT (age_group, category) DO UPDATE SET pins = t.pins + excluded.pins
), c5 AS (
    INSERT INTO analytics.follower_age_group_counts AS t (age_group, follower_count, pins)
    SELECT c.age_group, c.follower_count, sum(c.sign) FROM changes AS c
    WHERE c.age_group IS NOT NULL AND c.follower_count IS NOT NULL
    GROUP BY 1, 2 HAVING sum(c.sign) <> 0 ORDER BY 1, 2
    ON CONFLICT (age_group, follower_count) DO UPDATE SET pins = t.pins + excluded.pins
), c6 AS (
    INSERT INTO analytics.follower_join_year_counts AS t (join_year, follower_count, pins)
    SELECT c.join_year, c.follower_count, sum(c.sign) FROM changes AS c
    WHERE c.join_year IS NOT NULL AND c.follower_count IS NOT NULL
    GROUP BY 1, 2 HAVING sum(c.sign) <> 0 ORDER BY 1, 2
    ON CONFLICT (join_year, follower_count) DO UPDATE SET pins = t.pins + excluded.pins
), c7 AS (
    INSERT INTO analytics.follower_age_group_join_year_counts AS t (age_group, join_year, follower_count, pins)
    SELECT c.age_group, c.join_year, c.follower_count, sum(c.sign) FROM changes AS c
    WHERE c.age_group IS NOT NULL AND c.join_year IS NOT NULL AND c.follower_count IS NOT NULL
    GROUP BY 1, 2, 3 HAVING sum(c.sign) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (age_group, join_year, follower_count) DO UPDATE SET pins = t.pins + excluded.pins
), c8 AS (
    INSERT INTO analytics.user_join_year_counts AS t (join_year, users)
    SELECT c.join_year, sum(c.sign) FROM changes AS c
    WHERE c.user_joined AND c.join_year IS NOT NULL
    GROUP BY 1 HAVING sum(c.sign) <> 0 ORDER BY 1
    ON CONFLICT (join_year) DO UPDATE SET users = t.users + excluded.users
)
SELECT$f$, clean_table, source, fields_function, set_list, changes_sql);
END
$$;
COMMENT ON FUNCTION analytics.fold_statement(text, text) IS
    'The SQL statement that folds the messages of one kind (pin, geo, user) read from a relation into clean.* and the analytics counts: latest message per ind, retraction of the rows it replaces, additive count upserts';
REVOKE ALL ON FUNCTION analytics.fold_statement(text, text) FROM PUBLIC;

-- The trigger of the three staging tables (TG_ARGV[0]: the kind). Dynamic SQL reads the
-- statement's transition table like any relation.
-- work_mem: a batch of 20,000 messages sorts about 10 MB of cleaned rows; the default 4 MB
-- would send every such sort to disk.
CREATE FUNCTION clean.apply_staging_events()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
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

CREATE TRIGGER apply_to_clean AFTER INSERT ON staging.pin_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION clean.apply_staging_events('pin');
CREATE TRIGGER apply_to_clean AFTER INSERT ON staging.geo_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION clean.apply_staging_events('geo');
CREATE TRIGGER apply_to_clean AFTER INSERT ON staging.user_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION clean.apply_staging_events('user');

-- Rebuild --------------------------------------------------------------------------------------

-- clean.* and the counts recomputed from all of staging (the initial fill below, and pinpipe
-- refresh --rebuild after a repair or a rule change): emptied, then each staging table folded
-- whole by the triggers' own statement, so a rebuild and the triggers cannot disagree.
CREATE FUNCTION analytics.rebuild_live_state()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM analytics.lock_live_state();
    TRUNCATE clean.pins, clean.geolocations, clean.users,
             analytics.category_country_counts, analytics.category_year_counts,
             analytics.poster_follower_counts, analytics.category_age_group_counts,
             analytics.follower_age_group_counts, analytics.follower_join_year_counts,
             analytics.follower_age_group_join_year_counts, analytics.user_join_year_counts;
    EXECUTE analytics.fold_statement('pin', 'staging.pin_events');
    EXECUTE analytics.fold_statement('geo', 'staging.geo_events');
    EXECUTE analytics.fold_statement('user', 'staging.user_events');
END
$$;
COMMENT ON FUNCTION analytics.rebuild_live_state() IS
    'Recomputes clean.* and the analytics counts from all of staging (pinpipe refresh --rebuild); exact while retention has dropped no staging partition';
REVOKE ALL ON FUNCTION analytics.rebuild_live_state() FROM PUBLIC;

SELECT analytics.rebuild_live_state();

-- The nine answers -------------------------------------------------------------------------------
-- Rankings keep ties (dense_rank() = 1); rows come ordered by the first column, then the others;
-- age groups sort in age order (clean.age_group_lower_bound). Like the old views they run with
-- their owner's rights.

CREATE VIEW analytics.top_category_per_country AS
WITH ranked AS (
    SELECT c.country, c.category, c.pins AS category_count,
           dense_rank() OVER (PARTITION BY c.country ORDER BY c.pins DESC) AS category_rank
    FROM analytics.category_country_counts AS c
    WHERE c.pins > 0
)
SELECT r.country, r.category, r.category_count
FROM ranked AS r
WHERE r.category_rank = 1
ORDER BY r.country, r.category;

CREATE VIEW analytics.top_category_per_year AS
WITH ranked AS (
    SELECT c.post_year, c.category, c.pins AS category_count,
           dense_rank() OVER (PARTITION BY c.post_year ORDER BY c.pins DESC) AS category_rank
    FROM analytics.category_year_counts AS c
    WHERE c.pins > 0
)
SELECT r.post_year, r.category, r.category_count
FROM ranked AS r
WHERE r.category_rank = 1
ORDER BY r.post_year, r.category;

-- Each country's highest follower count straight off the primary key (country, follower_count,
-- poster_name), then the posters that have it: a few index probes per country.
CREATE VIEW analytics.most_followed_user_per_country AS
WITH RECURSIVE countries (country) AS (
    SELECT min(c.country) FROM analytics.poster_follower_counts AS c WHERE c.pins > 0
    UNION ALL
    SELECT (SELECT min(c.country) FROM analytics.poster_follower_counts AS c
            WHERE c.country > countries.country AND c.pins > 0)
    FROM countries
    WHERE countries.country IS NOT NULL
)
SELECT t.country, c.poster_name, t.follower_count
FROM countries AS k
CROSS JOIN LATERAL (
    SELECT c.country, c.follower_count
    FROM analytics.poster_follower_counts AS c
    WHERE c.country = k.country AND c.pins > 0
    ORDER BY c.follower_count DESC
    LIMIT 1
) AS t
JOIN analytics.poster_follower_counts AS c
  ON c.country = t.country AND c.follower_count = t.follower_count AND c.pins > 0
ORDER BY t.country, c.poster_name;

CREATE VIEW analytics.country_with_most_followed_user AS
WITH ranked AS (
    SELECT m.country, m.follower_count,
           dense_rank() OVER (ORDER BY m.follower_count DESC) AS follower_rank
    FROM analytics.most_followed_user_per_country AS m
)
SELECT DISTINCT r.country, r.follower_count
FROM ranked AS r
WHERE r.follower_rank = 1
ORDER BY r.country, r.follower_count;

CREATE VIEW analytics.top_category_per_age_group AS
WITH ranked AS (
    SELECT c.age_group, c.category, c.pins AS category_count,
           dense_rank() OVER (PARTITION BY c.age_group ORDER BY c.pins DESC) AS category_rank
    FROM analytics.category_age_group_counts AS c
    WHERE c.pins > 0
)
SELECT r.age_group, r.category, r.category_count
FROM ranked AS r
WHERE r.category_rank = 1
ORDER BY clean.age_group_lower_bound(r.age_group), r.category;

-- percentile_cont(0.5) of a multiset: with n values in order, the values at 0-based positions
-- (n - 1) / 2 and n / 2 (integer division; the same one when n is odd), interpolated halfway in
-- double precision exactly as percentile_cont does (lo + 0.5 * (hi - lo)). A position's value is
-- the first follower count whose cumulative count passes it.
CREATE FUNCTION analytics.midpoint(lo bigint, hi bigint)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN lo::double precision + 0.5 * (hi::double precision - lo::double precision);
COMMENT ON FUNCTION analytics.midpoint(bigint, bigint) IS
    'lo + 0.5 * (hi - lo) in double precision: the interpolation of percentile_cont(0.5) between the middle two values';

CREATE VIEW analytics.median_followers_per_age_group AS
WITH running AS (
    SELECT c.age_group, c.follower_count,
           sum(c.pins) OVER (PARTITION BY c.age_group ORDER BY c.follower_count)::bigint AS upto,
           sum(c.pins) OVER (PARTITION BY c.age_group)::bigint AS total
    FROM analytics.follower_age_group_counts AS c
    WHERE c.pins > 0
)
SELECT r.age_group,
       analytics.midpoint(min(r.follower_count) FILTER (WHERE r.upto > (r.total - 1) / 2),
                          min(r.follower_count) FILTER (WHERE r.upto > r.total / 2)) AS median_follower_count
FROM running AS r
GROUP BY r.age_group
ORDER BY clean.age_group_lower_bound(r.age_group);

CREATE VIEW analytics.users_joined_per_year AS
SELECT c.join_year, c.users AS number_users_joined
FROM analytics.user_join_year_counts AS c
WHERE c.users > 0
ORDER BY c.join_year;

CREATE VIEW analytics.median_followers_per_join_year AS
WITH running AS (
    SELECT c.join_year, c.follower_count,
           sum(c.pins) OVER (PARTITION BY c.join_year ORDER BY c.follower_count)::bigint AS upto,
           sum(c.pins) OVER (PARTITION BY c.join_year)::bigint AS total
    FROM analytics.follower_join_year_counts AS c
    WHERE c.pins > 0
)
SELECT r.join_year,
       analytics.midpoint(min(r.follower_count) FILTER (WHERE r.upto > (r.total - 1) / 2),
                          min(r.follower_count) FILTER (WHERE r.upto > r.total / 2)) AS median_follower_count
FROM running AS r
GROUP BY r.join_year
ORDER BY r.join_year;

CREATE VIEW analytics.median_followers_per_join_year_and_age_group AS
WITH running AS (
    SELECT c.age_group, c.join_year, c.follower_count,
           sum(c.pins) OVER (PARTITION BY c.age_group, c.join_year ORDER BY c.follower_count)::bigint AS upto,
           sum(c.pins) OVER (PARTITION BY c.age_group, c.join_year)::bigint AS total
    FROM analytics.follower_age_group_join_year_counts AS c
    WHERE c.pins > 0
)
SELECT r.age_group, r.join_year,
       analytics.midpoint(min(r.follower_count) FILTER (WHERE r.upto > (r.total - 1) / 2),
                          min(r.follower_count) FILTER (WHERE r.upto > r.total / 2)) AS median_follower_count
FROM running AS r
GROUP BY r.age_group, r.join_year
ORDER BY clean.age_group_lower_bound(r.age_group), r.join_year;

COMMENT ON SCHEMA analytics IS 'The nine answers of DESIGN §7, always current (views over count tables kept by deltas), and the count tables themselves';

COMMENT ON VIEW analytics.top_category_per_country IS
    'Most popular category in each country (pins joined to their geolocation); ties are all kept';
COMMENT ON COLUMN analytics.top_category_per_country.country IS 'Country the pins were posted from';
COMMENT ON COLUMN analytics.top_category_per_country.category IS 'A category with the most pins in that country';
COMMENT ON COLUMN analytics.top_category_per_country.category_count IS 'Pins of that category posted from that country';

COMMENT ON VIEW analytics.top_category_per_year IS
    'Most popular category each year (year of the geolocation timestamp, every year); ties are all kept';
COMMENT ON COLUMN analytics.top_category_per_year.post_year IS 'Year the pins were posted';
COMMENT ON COLUMN analytics.top_category_per_year.category IS 'A category with the most pins that year';
COMMENT ON COLUMN analytics.top_category_per_year.category_count IS 'Pins of that category posted that year';

COMMENT ON VIEW analytics.most_followed_user_per_country IS
    'The poster with the most followers in each country (from pins posted there); ties are all kept';
COMMENT ON COLUMN analytics.most_followed_user_per_country.country IS 'Country the pins were posted from';
COMMENT ON COLUMN analytics.most_followed_user_per_country.poster_name IS 'A poster with the highest follower count among pins posted from that country';
COMMENT ON COLUMN analytics.most_followed_user_per_country.follower_count IS 'That poster''s follower count (the highest one seen on those pins)';

COMMENT ON VIEW analytics.country_with_most_followed_user IS
    'The country whose most followed poster has the most followers of all; ties are all kept';
COMMENT ON COLUMN analytics.country_with_most_followed_user.country IS 'Country the pins were posted from';
COMMENT ON COLUMN analytics.country_with_most_followed_user.follower_count IS 'Follower count of that country''s most followed poster';

COMMENT ON VIEW analytics.top_category_per_age_group IS
    'Most popular category per age group of the posting user (18-24, 25-35, 36-50, 50+, bounds inclusive); ties are all kept';
COMMENT ON COLUMN analytics.top_category_per_age_group.age_group IS 'Age group of the posting users: 18-24, 25-35, 36-50 or 50+ (51 and over)';
COMMENT ON COLUMN analytics.top_category_per_age_group.category IS 'A category with the most pins in that age group';
COMMENT ON COLUMN analytics.top_category_per_age_group.category_count IS 'Pins of that category posted by users of that age group';

COMMENT ON VIEW analytics.median_followers_per_age_group IS
    'Exact median follower count (percentile_cont(0.5)) of the pins posted by each age group';
COMMENT ON COLUMN analytics.median_followers_per_age_group.age_group IS 'Age group of the posting users: 18-24, 25-35, 36-50 or 50+ (51 and over)';
COMMENT ON COLUMN analytics.median_followers_per_age_group.median_follower_count IS 'Median of the follower counts of those pins (one per pin; halfway between the middle two when their number is even)';

COMMENT ON VIEW analytics.users_joined_per_year IS
    'How many users joined each year (one user per ind, every year)';
COMMENT ON COLUMN analytics.users_joined_per_year.join_year IS 'Year the users joined';
COMMENT ON COLUMN analytics.users_joined_per_year.number_users_joined IS 'Users (rows of clean.users) who joined that year';

COMMENT ON VIEW analytics.median_followers_per_join_year IS
    'Exact median follower count (percentile_cont(0.5)) of the pins posted by users who joined in each year';
COMMENT ON COLUMN analytics.median_followers_per_join_year.join_year IS 'Year the posting users joined';
COMMENT ON COLUMN analytics.median_followers_per_join_year.median_follower_count IS 'Median of the follower counts of those pins (one per pin)';

COMMENT ON VIEW analytics.median_followers_per_join_year_and_age_group IS
    'Exact median follower count (percentile_cont(0.5)) of the pins per age group and join year of the posting users';
COMMENT ON COLUMN analytics.median_followers_per_join_year_and_age_group.age_group IS 'Age group of the posting users: 18-24, 25-35, 36-50 or 50+ (51 and over)';
COMMENT ON COLUMN analytics.median_followers_per_join_year_and_age_group.join_year IS 'Year the posting users joined';
COMMENT ON COLUMN analytics.median_followers_per_join_year_and_age_group.median_follower_count IS 'Median of the follower counts of those pins (one per pin)';

-- The *_mv names of dashboards built before the answers were live: plain views of the live
-- answers now (nothing to refresh), with the columns and comments of their originals.
DO $$
DECLARE
    answer record;
    col record;
BEGIN
    FOR answer IN
        SELECT c.relname AS view_name
        FROM pg_catalog.pg_class AS c
        WHERE c.relnamespace = 'analytics'::regnamespace AND c.relkind = 'v'
        ORDER BY c.relname
    LOOP
        EXECUTE format('CREATE VIEW analytics.%I AS SELECT * FROM analytics.%I',
                       answer.view_name || '_mv', answer.view_name);
        EXECUTE format('COMMENT ON VIEW analytics.%I IS %L', answer.view_name || '_mv',
                       format('Kept for dashboards of pinpipe 0.x: the live analytics.%s (%s)', answer.view_name,
                              obj_description(format('analytics.%I', answer.view_name)::regclass, 'pg_class')));
        FOR col IN
            SELECT a.attname, col_description(a.attrelid, a.attnum) AS description
            FROM pg_catalog.pg_attribute AS a
            WHERE a.attrelid = format('analytics.%I', answer.view_name)::regclass
              AND a.attnum > 0 AND NOT a.attisdropped
        LOOP
            EXECUTE format('COMMENT ON COLUMN analytics.%I.%I IS %L', answer.view_name || '_mv',
                           col.attname, col.description);
        END LOOP;
    END LOOP;
END
$$;

SELECT etl.grant_if_role_exists('pinpipe_reader', 'GRANT SELECT ON ALL TABLES IN SCHEMA clean, analytics TO %s');
