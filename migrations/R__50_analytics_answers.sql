-- Repeatable (pinpipe migrate applies it again whenever this file changes): the nine answers of
-- DESIGN §7 as views over the count tables that the fold (R__40) keeps current, and their *_mv
-- names. Rankings keep ties (dense_rank() = 1); rows come ordered by the first column, then the
-- others; age groups sort in age order (clean.age_group_lower_bound). Reading an answer costs
-- milliseconds at any history size. The views run with their owner's rights, so that
-- pinpipe_reader reads them with SELECT alone; analytics.midpoint keeps EXECUTE for PUBLIC.
-- CREATE OR REPLACE VIEW can only add columns at the end: a change that renames or drops a
-- column needs a DROP VIEW (of the *_mv view first) at the top of this file.

CREATE OR REPLACE VIEW analytics.top_category_per_country AS
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
COMMENT ON VIEW analytics.top_category_per_country IS
    'Most popular category in each country (pins joined to their geolocation); ties are all kept';
COMMENT ON COLUMN analytics.top_category_per_country.country IS 'Country the pins were posted from';
COMMENT ON COLUMN analytics.top_category_per_country.category IS 'A category with the most pins in that country';
COMMENT ON COLUMN analytics.top_category_per_country.category_count IS 'Pins of that category posted from that country';

CREATE OR REPLACE VIEW analytics.top_category_per_year AS
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
COMMENT ON VIEW analytics.top_category_per_year IS
    'Most popular category each year (year of the geolocation timestamp, every year); ties are all kept';
COMMENT ON COLUMN analytics.top_category_per_year.post_year IS 'Year the pins were posted';
COMMENT ON COLUMN analytics.top_category_per_year.category IS 'A category with the most pins that year';
COMMENT ON COLUMN analytics.top_category_per_year.category_count IS 'Pins of that category posted that year';

-- Each country's highest follower count straight off the primary key (country, follower_count,
-- poster_name), then the posters that have it: a few index probes per country.
CREATE OR REPLACE VIEW analytics.most_followed_user_per_country AS
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
COMMENT ON VIEW analytics.most_followed_user_per_country IS
    'The poster with the most followers in each country (from pins posted there); ties are all kept';
COMMENT ON COLUMN analytics.most_followed_user_per_country.country IS 'Country the pins were posted from';
COMMENT ON COLUMN analytics.most_followed_user_per_country.poster_name IS 'A poster with the highest follower count among pins posted from that country';
COMMENT ON COLUMN analytics.most_followed_user_per_country.follower_count IS 'That poster''s follower count (the highest one seen on those pins)';

CREATE OR REPLACE VIEW analytics.country_with_most_followed_user AS
WITH ranked AS (
    SELECT m.country, m.follower_count,
           dense_rank() OVER (ORDER BY m.follower_count DESC) AS follower_rank
    FROM analytics.most_followed_user_per_country AS m
)
SELECT DISTINCT r.country, r.follower_count
FROM ranked AS r
WHERE r.follower_rank = 1
ORDER BY r.country, r.follower_count;
COMMENT ON VIEW analytics.country_with_most_followed_user IS
    'The country whose most followed poster has the most followers of all; ties are all kept';
COMMENT ON COLUMN analytics.country_with_most_followed_user.country IS 'Country the pins were posted from';
COMMENT ON COLUMN analytics.country_with_most_followed_user.follower_count IS 'Follower count of that country''s most followed poster';

CREATE OR REPLACE VIEW analytics.top_category_per_age_group AS
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
COMMENT ON VIEW analytics.top_category_per_age_group IS
    'Most popular category per age group of the posting user (18-24, 25-35, 36-50, 50+, bounds inclusive); ties are all kept';
COMMENT ON COLUMN analytics.top_category_per_age_group.age_group IS 'Age group of the posting users: 18-24, 25-35, 36-50 or 50+ (51 and over)';
COMMENT ON COLUMN analytics.top_category_per_age_group.category IS 'A category with the most pins in that age group';
COMMENT ON COLUMN analytics.top_category_per_age_group.category_count IS 'Pins of that category posted by users of that age group';

-- The medians: percentile_cont(0.5) of a multiset, the values at 0-based positions (n - 1) / 2
-- and n / 2 (the same one when n is odd), interpolated halfway by analytics.midpoint. Per group,
-- the total and each bucket's pins below it (a window over the buckets); the bucket holding each
-- middle position; in that bucket, the first follower count whose cumulative count passes the
-- position (a range of the value table's primary key): a few hundred rows per group, whatever
-- the history.
CREATE OR REPLACE FUNCTION analytics.midpoint(lo bigint, hi bigint)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN lo::double precision + 0.5 * (hi::double precision - lo::double precision);
COMMENT ON FUNCTION analytics.midpoint(bigint, bigint) IS
    'lo + 0.5 * (hi - lo) in double precision: the interpolation of percentile_cont(0.5) between the middle two values';

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
COMMENT ON VIEW analytics.median_followers_per_age_group IS
    'Exact median follower count (percentile_cont(0.5)) of the pins posted by each age group';
COMMENT ON COLUMN analytics.median_followers_per_age_group.age_group IS 'Age group of the posting users: 18-24, 25-35, 36-50 or 50+ (51 and over)';
COMMENT ON COLUMN analytics.median_followers_per_age_group.median_follower_count IS 'Median of the follower counts of those pins (one per pin; halfway between the middle two when their number is even)';

CREATE OR REPLACE VIEW analytics.users_joined_per_year AS
SELECT c.join_year, c.users AS number_users_joined
FROM analytics.user_join_year_counts AS c
WHERE c.users > 0
ORDER BY c.join_year;
COMMENT ON VIEW analytics.users_joined_per_year IS
    'How many users joined each year (one user per ind, every year)';
COMMENT ON COLUMN analytics.users_joined_per_year.join_year IS 'Year the users joined';
COMMENT ON COLUMN analytics.users_joined_per_year.number_users_joined IS 'Users (rows of clean.users) who joined that year';

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
COMMENT ON VIEW analytics.median_followers_per_join_year IS
    'Exact median follower count (percentile_cont(0.5)) of the pins posted by users who joined in each year';
COMMENT ON COLUMN analytics.median_followers_per_join_year.join_year IS 'Year the posting users joined';
COMMENT ON COLUMN analytics.median_followers_per_join_year.median_follower_count IS 'Median of the follower counts of those pins (one per pin)';

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
COMMENT ON VIEW analytics.median_followers_per_join_year_and_age_group IS
    'Exact median follower count (percentile_cont(0.5)) of the pins per age group and join year of the posting users';
COMMENT ON COLUMN analytics.median_followers_per_join_year_and_age_group.age_group IS 'Age group of the posting users: 18-24, 25-35, 36-50 or 50+ (51 and over)';
COMMENT ON COLUMN analytics.median_followers_per_join_year_and_age_group.join_year IS 'Year the posting users joined';
COMMENT ON COLUMN analytics.median_followers_per_join_year_and_age_group.median_follower_count IS 'Median of the follower counts of those pins (one per pin)';

-- The *_mv names of dashboards built before the answers were live (they were materialized views
-- until 0041): plain views of the live answers, with their comments and their columns' comments.
DO $$
DECLARE
    answer text;
    col record;
BEGIN
    FOREACH answer IN ARRAY ARRAY['top_category_per_country', 'top_category_per_year',
                                  'most_followed_user_per_country', 'country_with_most_followed_user',
                                  'top_category_per_age_group', 'median_followers_per_age_group',
                                  'users_joined_per_year', 'median_followers_per_join_year',
                                  'median_followers_per_join_year_and_age_group'] LOOP
        EXECUTE format('CREATE OR REPLACE VIEW analytics.%I AS SELECT * FROM analytics.%I',
                       answer || '_mv', answer);
        EXECUTE format('COMMENT ON VIEW analytics.%I IS %L', answer || '_mv',
                       format('Kept for dashboards of pinpipe 0.x: the live analytics.%s (%s)', answer,
                              obj_description(format('analytics.%I', answer)::regclass, 'pg_class')));
        FOR col IN
            SELECT a.attname, col_description(a.attrelid, a.attnum) AS description
            FROM pg_catalog.pg_attribute AS a
            WHERE a.attrelid = format('analytics.%I', answer)::regclass
              AND a.attnum > 0 AND NOT a.attisdropped
        LOOP
            EXECUTE format('COMMENT ON COLUMN analytics.%I.%I IS %L', answer || '_mv',
                           col.attname, col.description);
        END LOOP;
    END LOOP;
END
$$;

SELECT etl.grant_if_role_exists('pinpipe_reader', 'GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO %s');
