-- The three medians read a two-level multiset (#13): next to the follower-count multisets of 0041
-- (pins per group and follower count), the same pins per group and value bucket. A bucket is a
-- range of follower counts with one leading decimal digit ([0], [1], ..., [9], [10, 20), ...,
-- [90, 100), [100, 200), ..., [7000, 8000), ...): at most 9 per decade, 60 or so per group, and
-- at most 100 distinct follower counts of this data in one bucket. A median walks the cumulative
-- counts of a group's buckets to the bucket holding each middle position, then the cumulative
-- counts of that one bucket's follower counts: a few hundred rows per group, whatever the
-- history, instead of every follower count of every group (48,513 rows for the last median at
-- 1M events). Still the exact percentile_cont(0.5) of 0041: the values at 0-based positions
-- (n - 1) / 2 and n / 2, interpolated halfway.
--
-- The fold statement gains the three bucket upserts, in the same statement as the value
-- upserts, so the two levels always agree; the count upserts become one text shared by the fold
-- and the rebuild (analytics.count_deltas_sql).

CREATE FUNCTION analytics.follower_bucket_width(follower_count bigint)
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

CREATE FUNCTION analytics.follower_bucket(follower_count bigint)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN follower_count - CASE WHEN follower_count < 10 THEN 0
                             ELSE follower_count % analytics.follower_bucket_width(follower_count) END;
COMMENT ON FUNCTION analytics.follower_bucket(bigint) IS
    'Lower bound of the bucket of a follower count: the value with all but its leading digit zeroed (7 -> 7, 985 -> 900, 7000 -> 7000, 12345 -> 10000); the bucket holds [bucket, bucket + follower_bucket_width(bucket))';

CREATE FUNCTION analytics.follower_bucket_last(bucket bigint)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- bucket + width - 1 without overflow: the bucket from 9 * 10^18 ends at the largest bigint.
RETURN CASE WHEN bucket >= 9000000000000000000 THEN 9223372036854775807
            ELSE bucket + (analytics.follower_bucket_width(bucket) - 1) END;
COMMENT ON FUNCTION analytics.follower_bucket_last(bigint) IS
    'Highest follower count of the bucket that starts at bucket (analytics.follower_bucket): bucket + follower_bucket_width(bucket) - 1';

CREATE TABLE analytics.follower_bucket_age_group_counts (
    age_group text   NOT NULL,
    bucket    bigint NOT NULL,
    pins      bigint NOT NULL,
    PRIMARY KEY (age_group, bucket)
);
CREATE TABLE analytics.follower_bucket_join_year_counts (
    join_year integer NOT NULL,
    bucket    bigint  NOT NULL,
    pins      bigint  NOT NULL,
    PRIMARY KEY (join_year, bucket)
);
CREATE TABLE analytics.follower_bucket_age_group_join_year_counts (
    age_group text    NOT NULL,
    join_year integer NOT NULL,
    bucket    bigint  NOT NULL,
    pins      bigint  NOT NULL,
    PRIMARY KEY (age_group, join_year, bucket)
);
COMMENT ON TABLE analytics.follower_bucket_age_group_counts IS
    'Pins per (age group, follower-count bucket): the upper level of the median per age group (sums of follower_age_group_counts)';
COMMENT ON TABLE analytics.follower_bucket_join_year_counts IS
    'Pins per (join year, follower-count bucket): the upper level of the median per join year (sums of follower_join_year_counts)';
COMMENT ON TABLE analytics.follower_bucket_age_group_join_year_counts IS
    'Pins per (age group, join year, follower-count bucket): the upper level of the median per both (sums of follower_age_group_join_year_counts)';
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['follower_bucket_age_group_counts', 'follower_bucket_join_year_counts',
                             'follower_bucket_age_group_join_year_counts'] LOOP
        EXECUTE format('COMMENT ON COLUMN analytics.%I.bucket IS %L', t,
                       'Lowest follower count of the bucket (analytics.follower_bucket)');
        EXECUTE format('COMMENT ON COLUMN analytics.%I.pins IS %L', t,
                       'Joined pins with a follower count in this bucket (0 once all were retracted)');
        IF t <> 'follower_bucket_join_year_counts' THEN
            EXECUTE format('COMMENT ON COLUMN analytics.%I.age_group IS %L', t, 'Age group of the user (clean.age_group)');
        END IF;
        IF t <> 'follower_bucket_age_group_counts' THEN
            EXECUTE format('COMMENT ON COLUMN analytics.%I.join_year IS %L', t, 'Year the user joined');
        END IF;
    END LOOP;
END
$$;

-- The upper level filled once from the lower one (under the fold lock: no load changes either
-- meanwhile).
SELECT analytics.lock_live_state();
INSERT INTO analytics.follower_bucket_age_group_counts (age_group, bucket, pins)
SELECT c.age_group, analytics.follower_bucket(c.follower_count), sum(c.pins)
FROM analytics.follower_age_group_counts AS c
GROUP BY 1, 2;
INSERT INTO analytics.follower_bucket_join_year_counts (join_year, bucket, pins)
SELECT c.join_year, analytics.follower_bucket(c.follower_count), sum(c.pins)
FROM analytics.follower_join_year_counts AS c
GROUP BY 1, 2;
INSERT INTO analytics.follower_bucket_age_group_join_year_counts (age_group, join_year, bucket, pins)
SELECT c.age_group, c.join_year, analytics.follower_bucket(c.follower_count), sum(c.pins)
FROM analytics.follower_age_group_join_year_counts AS c
GROUP BY 1, 2, 3;

-- The additive upserts of every count table, as CTEs c1..c11 reading a relation `changes` of
-- (sign, category, poster_name, follower_count, country, post_year, age_group, join_year,
-- user_joined): one text for the fold and the rebuild. Each in key order.
CREATE FUNCTION analytics.count_deltas_sql()
RETURNS text
LANGUAGE sql IMMUTABLE
RETURN $f$
c1 AS (
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
), c9 AS (
    INSERT INTO analytics.follower_bucket_age_group_counts AS t (age_group, bucket, pins)
    SELECT c.age_group, analytics.follower_bucket(c.follower_count), sum(c.sign) FROM changes AS c
    WHERE c.age_group IS NOT NULL AND c.follower_count IS NOT NULL
    GROUP BY 1, 2 HAVING sum(c.sign) <> 0 ORDER BY 1, 2
    ON CONFLICT (age_group, bucket) DO UPDATE SET pins = t.pins + excluded.pins
), c10 AS (
    INSERT INTO analytics.follower_bucket_join_year_counts AS t (join_year, bucket, pins)
    SELECT c.join_year, analytics.follower_bucket(c.follower_count), sum(c.sign) FROM changes AS c
    WHERE c.join_year IS NOT NULL AND c.follower_count IS NOT NULL
    GROUP BY 1, 2 HAVING sum(c.sign) <> 0 ORDER BY 1, 2
    ON CONFLICT (join_year, bucket) DO UPDATE SET pins = t.pins + excluded.pins
), c11 AS (
    INSERT INTO analytics.follower_bucket_age_group_join_year_counts AS t (age_group, join_year, bucket, pins)
    SELECT c.age_group, c.join_year, analytics.follower_bucket(c.follower_count), sum(c.sign) FROM changes AS c
    WHERE c.age_group IS NOT NULL AND c.join_year IS NOT NULL AND c.follower_count IS NOT NULL
    GROUP BY 1, 2, 3 HAVING sum(c.sign) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (age_group, join_year, bucket) DO UPDATE SET pins = t.pins + excluded.pins
)
SELECT$f$;
COMMENT ON FUNCTION analytics.count_deltas_sql() IS
    'The additive upserts of every analytics.*_counts table (CTEs c1..c11) from a relation named changes; shared by the fold statement and the rebuild';
REVOKE ALL ON FUNCTION analytics.count_deltas_sql() FROM PUBLIC;

-- 0041's fold statement with the count upserts of analytics.count_deltas_sql().
CREATE OR REPLACE FUNCTION analytics.fold_statement(kind text, source text)
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
), %6$s$f$, clean_table, source, fields_function, set_list, changes_sql, analytics.count_deltas_sql());
END
$$;

-- The rebuild empties the new tables too.
CREATE OR REPLACE FUNCTION analytics.rebuild_live_state()
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
             analytics.follower_age_group_join_year_counts, analytics.user_join_year_counts,
             analytics.follower_bucket_age_group_counts, analytics.follower_bucket_join_year_counts,
             analytics.follower_bucket_age_group_join_year_counts;
    EXECUTE analytics.fold_statement('pin', 'staging.pin_events');
    EXECUTE analytics.fold_statement('geo', 'staging.geo_events');
    EXECUTE analytics.fold_statement('user', 'staging.user_events');
END
$$;

-- The medians: per group, the total and each bucket's pins below it (window over the buckets);
-- the bucket holding each middle position; in that bucket, the first follower count whose
-- cumulative count passes the position (a range of the value table's primary key).
CREATE OR REPLACE VIEW analytics.median_followers_per_age_group AS
WITH buckets AS (
    SELECT b.age_group, b.bucket, b.pins,
           (sum(b.pins) OVER (PARTITION BY b.age_group ORDER BY b.bucket))::bigint - b.pins AS below,
           (sum(b.pins) OVER (PARTITION BY b.age_group))::bigint AS total
    FROM analytics.follower_bucket_age_group_counts AS b
    WHERE b.pins > 0
), middle AS (
    SELECT DISTINCT b.age_group, m.position, b.bucket, b.below
    FROM buckets AS b
    CROSS JOIN LATERAL (VALUES ((b.total - 1) / 2), (b.total / 2)) AS m (position)
    WHERE m.position >= b.below AND m.position < b.below + b.pins
)
SELECT m.age_group,
       analytics.midpoint(min(v.follower_count), max(v.follower_count)) AS median_follower_count
FROM middle AS m
CROSS JOIN LATERAL (
    SELECT r.follower_count
    FROM (SELECT c.follower_count, (sum(c.pins) OVER (ORDER BY c.follower_count))::bigint AS upto
          FROM analytics.follower_age_group_counts AS c
          WHERE c.age_group = m.age_group AND c.pins > 0 AND c.follower_count >= m.bucket
            AND c.follower_count <= analytics.follower_bucket_last(m.bucket)) AS r
    WHERE m.below + r.upto > m.position
    ORDER BY r.follower_count
    LIMIT 1
) AS v
GROUP BY m.age_group
ORDER BY clean.age_group_lower_bound(m.age_group);

CREATE OR REPLACE VIEW analytics.median_followers_per_join_year AS
WITH buckets AS (
    SELECT b.join_year, b.bucket, b.pins,
           (sum(b.pins) OVER (PARTITION BY b.join_year ORDER BY b.bucket))::bigint - b.pins AS below,
           (sum(b.pins) OVER (PARTITION BY b.join_year))::bigint AS total
    FROM analytics.follower_bucket_join_year_counts AS b
    WHERE b.pins > 0
), middle AS (
    SELECT DISTINCT b.join_year, m.position, b.bucket, b.below
    FROM buckets AS b
    CROSS JOIN LATERAL (VALUES ((b.total - 1) / 2), (b.total / 2)) AS m (position)
    WHERE m.position >= b.below AND m.position < b.below + b.pins
)
SELECT m.join_year,
       analytics.midpoint(min(v.follower_count), max(v.follower_count)) AS median_follower_count
FROM middle AS m
CROSS JOIN LATERAL (
    SELECT r.follower_count
    FROM (SELECT c.follower_count, (sum(c.pins) OVER (ORDER BY c.follower_count))::bigint AS upto
          FROM analytics.follower_join_year_counts AS c
          WHERE c.join_year = m.join_year AND c.pins > 0 AND c.follower_count >= m.bucket
            AND c.follower_count <= analytics.follower_bucket_last(m.bucket)) AS r
    WHERE m.below + r.upto > m.position
    ORDER BY r.follower_count
    LIMIT 1
) AS v
GROUP BY m.join_year
ORDER BY m.join_year;

CREATE OR REPLACE VIEW analytics.median_followers_per_join_year_and_age_group AS
WITH buckets AS (
    SELECT b.age_group, b.join_year, b.bucket, b.pins,
           (sum(b.pins) OVER (PARTITION BY b.age_group, b.join_year ORDER BY b.bucket))::bigint - b.pins AS below,
           (sum(b.pins) OVER (PARTITION BY b.age_group, b.join_year))::bigint AS total
    FROM analytics.follower_bucket_age_group_join_year_counts AS b
    WHERE b.pins > 0
), middle AS (
    SELECT DISTINCT b.age_group, b.join_year, m.position, b.bucket, b.below
    FROM buckets AS b
    CROSS JOIN LATERAL (VALUES ((b.total - 1) / 2), (b.total / 2)) AS m (position)
    WHERE m.position >= b.below AND m.position < b.below + b.pins
)
SELECT m.age_group, m.join_year,
       analytics.midpoint(min(v.follower_count), max(v.follower_count)) AS median_follower_count
FROM middle AS m
CROSS JOIN LATERAL (
    SELECT r.follower_count
    FROM (SELECT c.follower_count, (sum(c.pins) OVER (ORDER BY c.follower_count))::bigint AS upto
          FROM analytics.follower_age_group_join_year_counts AS c
          WHERE c.age_group = m.age_group AND c.join_year = m.join_year AND c.pins > 0
            AND c.follower_count >= m.bucket
            AND c.follower_count <= analytics.follower_bucket_last(m.bucket)) AS r
    WHERE m.below + r.upto > m.position
    ORDER BY r.follower_count
    LIMIT 1
) AS v
GROUP BY m.age_group, m.join_year
ORDER BY clean.age_group_lower_bound(m.age_group), m.join_year;

SELECT etl.grant_if_role_exists('pinpipe_reader', 'GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO %s');
