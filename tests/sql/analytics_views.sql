-- The nine analytics views of §7 on a hand-written data set with ties, year edges and NULLs,
-- their shape and comments, and the *_mv views kept for old dashboards. Pins arrive before their
-- geolocations and users, so every pair joins when its second half arrives.
BEGIN;
SELECT plan(40);

-- ind, category, poster, follower_count | country, posted | age, joined
--  1   art      A  10    | X 2018 | 18 2015
--  2   art      B  20    | X 2018 | 24 2015
--  3   travel   C  30    | X 2017 | 25 2014
--  4   travel   C  30    | X 2022 | 35 2020
--  5   diy      D  5k    | Y 2022 | 36 2020
--  6   travel   E  5000  | Y 2023 | 50 2021
--  7   art      F  error | Y 2019 | 51 2016   (no follower count)
--  8   (empty)  G  100   | Y 2019 | 17 2016   (no category, no age group)
-- ind 1 is also delivered earlier as beauty/Z/age 40: the later message wins everywhere.
CREATE FUNCTION pg_temp.pin(ind int, category text, poster text, followers text, ts timestamptz)
RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('index', ind, 'category', category, 'poster_name', poster, 'follower_count', followers)
$$;
INSERT INTO staging.pin_events (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, payload)
SELECT 't.pin', 0, n, ts, pg_temp.pin(ind, category, poster, followers, ts)
FROM (VALUES (1, 1, 'art', 'A', '10', '2024-01-02'::timestamptz), (2, 2, 'art', 'B', '20', '2024-01-02'),
             (3, 3, 'travel', 'C', '30', '2024-01-02'), (4, 4, 'travel', 'C', '30', '2024-01-02'),
             (5, 5, 'diy', 'D', '5k', '2024-01-02'), (6, 6, 'travel', 'E', '5000', '2024-01-02'),
             (7, 7, 'art', 'F', 'User Info Error', '2024-01-02'), (8, 8, '', 'G', '100', '2024-01-02'),
             (9, 1, 'beauty', 'A', '999999', '2024-01-01')) AS v (n, ind, category, poster, followers, ts);
INSERT INTO staging.geo_events (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, payload)
SELECT 't.geo', 0, n, ts, jsonb_build_object('ind', ind, 'country', country, 'timestamp', posted, 'latitude', 0, 'longitude', 0)
FROM (VALUES (1, 1, 'X', '2018-01-01 00:00:00', '2024-01-02'::timestamptz), (2, 2, 'X', '2018-12-31 23:59:59', '2024-01-02'),
             (3, 3, 'X', '2017-12-31 23:59:59', '2024-01-02'), (4, 4, 'X', '2022-12-31 23:59:59', '2024-01-02'),
             (5, 5, 'Y', '2022-01-01 00:00:00', '2024-01-02'), (6, 6, 'Y', '2023-01-01 00:00:00', '2024-01-02'),
             (7, 7, 'Y', '2019-06-01 12:00:00', '2024-01-02'), (8, 8, 'Y', '2019-06-01 12:00:00', '2024-01-02'),
             (9, 1, 'Z', '2020-01-01 00:00:00', '2024-01-01')) AS v (n, ind, country, posted, ts);
INSERT INTO staging.user_events (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, payload)
SELECT 't.user', 0, n, ts, jsonb_build_object('ind', ind, 'first_name', 'F', 'last_name', 'L', 'age', age, 'date_joined', joined)
FROM (VALUES (1, 1, 18, '2015-01-01 00:00:00', '2024-01-02'::timestamptz), (2, 2, 24, '2015-12-31 23:59:59', '2024-01-02'),
             (3, 3, 25, '2014-12-31 23:59:59', '2024-01-02'), (4, 4, 35, '2020-12-31 23:59:59', '2024-01-02'),
             (5, 5, 36, '2020-01-01 00:00:00', '2024-01-02'), (6, 6, 50, '2021-01-01 00:00:00', '2024-01-02'),
             (7, 7, 51, '2016-06-01 00:00:00', '2024-01-02'), (8, 8, 17, '2016-06-01 00:00:00', '2024-01-02'),
             (9, 1, 40, '2019-01-01 00:00:00', '2024-01-01')) AS v (n, ind, age, joined, ts);

SELECT results_eq('SELECT * FROM analytics.top_category_per_country',
    $$VALUES ('X', 'art', 2::bigint), ('X', 'travel', 2), ('Y', 'art', 1), ('Y', 'diy', 1), ('Y', 'travel', 1)$$,
    'top_category_per_country: ties kept, NULL category left out, ordered');
SELECT results_eq('SELECT * FROM analytics.top_category_per_year',
    $$VALUES (2017, 'travel', 1::bigint), (2018, 'art', 2), (2019, 'art', 1), (2022, 'diy', 1), (2022, 'travel', 1), (2023, 'travel', 1)$$,
    'top_category_per_year: every year, as seed 003');
SELECT results_eq('SELECT * FROM analytics.most_followed_user_per_country',
    $$VALUES ('X', 'C', 30::bigint), ('Y', 'D', 5000), ('Y', 'E', 5000)$$,
    'most_followed_user_per_country: "5k" ties 5000, a poster counted once');
SELECT results_eq('SELECT * FROM analytics.country_with_most_followed_user',
    $$VALUES ('Y', 5000::bigint)$$, 'country_with_most_followed_user: one row for a country with tied posters');
SELECT results_eq('SELECT * FROM analytics.top_category_per_age_group',
    $$VALUES ('18-24', 'art', 2::bigint), ('25-35', 'travel', 2), ('36-50', 'diy', 1), ('36-50', 'travel', 1), ('50+', 'art', 1)$$,
    'top_category_per_age_group: inclusive bounds, 17 left out, 50+ last, groups in age order');
SELECT results_eq('SELECT * FROM analytics.median_followers_per_age_group',
    $$VALUES ('18-24', 15::double precision), ('25-35', 30), ('36-50', 5000)$$,
    'median_followers_per_age_group: median of two is their mean; a group without counts is absent');
SELECT results_eq('SELECT * FROM analytics.users_joined_per_year',
    $$VALUES (2014, 1::bigint), (2015, 2), (2016, 2), (2020, 2), (2021, 1)$$,
    'users_joined_per_year: every year');
SELECT results_eq('SELECT * FROM analytics.median_followers_per_join_year',
    $$VALUES (2014, 30::double precision), (2015, 15), (2016, 100), (2020, 2515), (2021, 5000)$$,
    'median_followers_per_join_year');
SELECT results_eq('SELECT * FROM analytics.median_followers_per_join_year_and_age_group',
    $$VALUES ('18-24', 2015, 15::double precision), ('25-35', 2014, 30), ('25-35', 2020, 30), ('36-50', 2020, 5000),
             ('36-50', 2021, 5000)$$,
    'median_followers_per_join_year_and_age_group');

-- Shape: names, order and types of the columns of §7.
CREATE FUNCTION pg_temp.columns_of(relation regclass) RETURNS text[] LANGUAGE sql AS $$
    SELECT array_agg(attname::text || ':' || format_type(atttypid, atttypmod) ORDER BY attnum)
    FROM pg_attribute WHERE attrelid = relation AND attnum > 0 AND NOT attisdropped
$$;
SELECT is(pg_temp.columns_of(v.name::regclass), v.columns, v.name || ' columns')
FROM (VALUES
    ('analytics.top_category_per_country', ARRAY['country:text', 'category:text', 'category_count:bigint']),
    ('analytics.top_category_per_year', ARRAY['post_year:integer', 'category:text', 'category_count:bigint']),
    ('analytics.most_followed_user_per_country', ARRAY['country:text', 'poster_name:text', 'follower_count:bigint']),
    ('analytics.country_with_most_followed_user', ARRAY['country:text', 'follower_count:bigint']),
    ('analytics.top_category_per_age_group', ARRAY['age_group:text', 'category:text', 'category_count:bigint']),
    ('analytics.median_followers_per_age_group', ARRAY['age_group:text', 'median_follower_count:double precision']),
    ('analytics.users_joined_per_year', ARRAY['join_year:integer', 'number_users_joined:bigint']),
    ('analytics.median_followers_per_join_year', ARRAY['join_year:integer', 'median_follower_count:double precision']),
    ('analytics.median_followers_per_join_year_and_age_group',
     ARRAY['age_group:text', 'join_year:integer', 'median_follower_count:double precision'])
) AS v (name, columns);

-- Each answer keeps its *_mv name for old dashboards: a plain view with the same columns and rows.
SELECT is(pg_temp.columns_of((v.oid::regclass::text || '_mv')::regclass), pg_temp.columns_of(v.oid),
          v.relname || '_mv has the columns of ' || v.relname)
FROM pg_class AS v WHERE v.relnamespace = 'analytics'::regnamespace AND v.relkind = 'v' AND v.relname NOT LIKE '%\_mv';
SELECT is((SELECT count(*)::int FROM pg_class AS m WHERE m.relnamespace = 'analytics'::regnamespace AND m.relkind = 'v'
           AND m.relname LIKE '%\_mv'), 9, 'nine *_mv plain views');
SELECT set_eq(format('SELECT * FROM %s_mv', v.oid::regclass), format('SELECT * FROM %s', v.oid::regclass),
              v.relname || '_mv equals ' || v.relname || ' with no refresh')
FROM pg_class AS v WHERE v.relnamespace = 'analytics'::regnamespace AND v.relkind = 'v' AND v.relname NOT LIKE '%\_mv';

-- Comments on the schema and on every view, twin and column.
SELECT isnt(obj_description('analytics'::regnamespace, 'pg_namespace'), NULL, 'schema analytics has a comment');
SELECT is((SELECT count(*)::int FROM pg_class WHERE relnamespace = 'analytics'::regnamespace AND relkind IN ('v', 'r')
           AND obj_description(oid, 'pg_class') IS NULL), 0, 'every analytics view and count table has a comment');
SELECT is((SELECT count(*)::int FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
           WHERE c.relnamespace = 'analytics'::regnamespace AND c.relkind IN ('v', 'r') AND a.attnum > 0
             AND col_description(c.oid, a.attnum) IS NULL), 0, 'every analytics column has a comment');

SELECT * FROM finish();
ROLLBACK;
