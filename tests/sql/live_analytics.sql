-- The live state under change: every retraction case (a re-sent pin changes category; a
-- geolocation arrives before its pin; a user changes age group; a follower count becomes a
-- placeholder; equal timestamps decided by partition, then offset) and every median edge (one
-- value, even counts, ties), each checked on the answers right after the insert that caused it.
-- Ends with a rebuild from staging, which must give the same clean rows and counts.
BEGIN;
SELECT plan(30);

CREATE FUNCTION pg_temp.pin(part int, off bigint, ts text, ind int, category text, followers text, poster text DEFAULT 'P')
RETURNS void LANGUAGE sql AS $$
    INSERT INTO staging.pin_events (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, payload)
    VALUES ('l.pin', part, off, ts::timestamptz,
            jsonb_build_object('index', ind, 'category', category, 'follower_count', followers, 'poster_name', poster))
$$;
CREATE FUNCTION pg_temp.geo(part int, off bigint, ts text, ind int, country text, posted text DEFAULT '2020-05-01 00:00:00')
RETURNS void LANGUAGE sql AS $$
    INSERT INTO staging.geo_events (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, payload)
    VALUES ('l.geo', part, off, ts::timestamptz, jsonb_build_object('ind', ind, 'country', country, 'timestamp', posted))
$$;
CREATE FUNCTION pg_temp.usr(part int, off bigint, ts text, ind int, age int, joined text DEFAULT '2017-03-01 00:00:00')
RETURNS void LANGUAGE sql AS $$
    INSERT INTO staging.user_events (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, payload)
    VALUES ('l.user', part, off, ts::timestamptz,
            jsonb_build_object('ind', ind, 'first_name', 'F', 'last_name', 'L', 'age', age, 'date_joined', joined))
$$;

-- A re-sent pin changes category: its old category loses the pin in its country.
SELECT pg_temp.pin(0, 0, '2024-01-01 10:00', 1, 'art', '10');
SELECT pg_temp.geo(0, 0, '2024-01-01 10:00', 1, 'X');
SELECT pg_temp.pin(0, 1, '2024-01-01 10:00', 2, 'art', '20');
SELECT pg_temp.geo(0, 1, '2024-01-01 10:00', 2, 'X');
SELECT pg_temp.pin(0, 2, '2024-01-01 10:00', 3, 'travel', '30');
SELECT pg_temp.geo(0, 2, '2024-01-01 10:00', 3, 'X');
SELECT results_eq('SELECT category, category_count FROM analytics.top_category_per_country',
                  $$VALUES ('art', 2::bigint)$$, 'two art pins lead in X');
SELECT pg_temp.pin(0, 3, '2024-01-01 11:00', 1, 'travel', '10');
SELECT results_eq('SELECT category, category_count FROM analytics.top_category_per_country',
                  $$VALUES ('travel', 2::bigint)$$, 'the re-sent pin moved from art to travel');
SELECT is((SELECT pins FROM analytics.category_country_counts WHERE country = 'X' AND category = 'art'), 1::bigint,
          'art retracted the old pin');
SELECT results_eq('SELECT category, category_count FROM analytics.top_category_per_year',
                  $$VALUES ('travel', 2::bigint)$$, 'the year answer follows the re-sent pin too');

-- A re-send older than the stored message (by Kafka timestamp) changes nothing.
SELECT pg_temp.pin(0, 4, '2024-01-01 09:00', 1, 'diy', '10');
SELECT is((SELECT category FROM clean.pins WHERE ind = 1), 'travel', 'an older message delivered later loses');
SELECT is((SELECT count(*)::int FROM analytics.category_country_counts WHERE category = 'diy' AND pins > 0), 0,
          'and counts nothing');

-- A geolocation that arrives before its pin joins when the pin arrives; a moved pin moves country.
SELECT pg_temp.geo(0, 3, '2024-01-01 10:00', 4, 'Y');
SELECT is((SELECT count(*)::int FROM analytics.top_category_per_country WHERE country = 'Y'), 0, 'no pin yet: Y has no answer');
SELECT pg_temp.pin(0, 5, '2024-01-01 10:00', 4, 'beauty', '5k', 'Q');
SELECT results_eq($$SELECT category, category_count FROM analytics.top_category_per_country WHERE country = 'Y'$$,
                  $$VALUES ('beauty', 1::bigint)$$, 'the pin joined the geolocation that came first');
SELECT results_eq('SELECT country, poster_name, follower_count FROM analytics.most_followed_user_per_country',
                  $$VALUES ('X', 'P', 30::bigint), ('Y', 'Q', 5000)$$, 'most followed per country');
SELECT pg_temp.geo(0, 4, '2024-01-02 10:00', 4, 'X');
SELECT results_eq('SELECT country, poster_name, follower_count FROM analytics.most_followed_user_per_country',
                  $$VALUES ('X', 'Q', 5000::bigint)$$, 'a re-sent geolocation moved the pin from Y to X');
SELECT results_eq('SELECT * FROM analytics.country_with_most_followed_user', $$VALUES ('X', 5000::bigint)$$,
                  'country_with_most_followed_user follows');

-- A follower count becomes a placeholder: it leaves the maxima and the medians.
SELECT pg_temp.usr(0, 0, '2024-01-01 10:00', 1, 20);
SELECT pg_temp.usr(0, 1, '2024-01-01 10:00', 2, 22);
SELECT pg_temp.usr(0, 2, '2024-01-01 10:00', 3, 30);
SELECT pg_temp.usr(0, 3, '2024-01-01 10:00', 4, 40);
SELECT results_eq('SELECT * FROM analytics.median_followers_per_age_group',
                  $$VALUES ('18-24', 15::double precision), ('25-35', 30), ('36-50', 5000)$$,
                  'users arriving after their pins join them');
SELECT pg_temp.pin(0, 6, '2024-01-03 10:00', 4, 'beauty', 'User Info Error', 'Q');
SELECT results_eq('SELECT * FROM analytics.median_followers_per_age_group',
                  $$VALUES ('18-24', 15::double precision), ('25-35', 30)$$,
                  'a placeholder follower count leaves the medians (36-50 has none left)');
SELECT results_eq('SELECT country, poster_name, follower_count FROM analytics.most_followed_user_per_country',
                  $$VALUES ('X', 'P', 30::bigint)$$, 'and the maxima');

-- A user changes age group: its pin moves between groups.
SELECT pg_temp.usr(0, 4, '2024-01-02 10:00', 3, 19);
SELECT results_eq('SELECT * FROM analytics.median_followers_per_age_group',
                  $$VALUES ('18-24', 20::double precision)$$, 'the re-sent user moved to 18-24: median of 10, 20, 30');
SELECT results_eq('SELECT * FROM analytics.top_category_per_age_group',
                  $$VALUES ('18-24', 'travel', 2::bigint), ('36-50', 'beauty', 1)$$, 'top category per age group follows');

-- Equal Kafka timestamps: the higher partition wins, then the higher offset, in any arrival order
-- and within one statement.
SELECT pg_temp.usr(1, 9, '2024-01-05 10:00', 5, 60, '2019-01-01 00:00:00');
SELECT pg_temp.usr(0, 99, '2024-01-05 10:00', 5, 18, '2018-01-01 00:00:00');
SELECT is((SELECT age FROM clean.users WHERE ind = 5), 60, 'equal timestamps: partition 1 beats partition 0 whatever its offset');
SELECT results_eq('SELECT * FROM analytics.users_joined_per_year',
                  $$VALUES (2017, 4::bigint), (2019, 1)$$, 'the losing message counts nothing');
INSERT INTO staging.user_events (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, payload)
VALUES ('l.user', 1, 11, '2024-01-06 10:00', '{"ind": 5, "age": 36, "date_joined": "2016-01-01 00:00:00"}'),
       ('l.user', 1, 12, '2024-01-06 10:00', '{"ind": 5, "age": 51, "date_joined": "2015-01-01 00:00:00"}'),
       ('l.user', 1, 10, '2024-01-06 10:00', '{"ind": 5, "age": 25, "date_joined": "2014-01-01 00:00:00"}');
SELECT is((SELECT age FROM clean.users WHERE ind = 5), 51, 'one statement, equal timestamps and partition: the highest offset wins');
SELECT results_eq('SELECT * FROM analytics.users_joined_per_year',
                  $$VALUES (2015, 1::bigint), (2017, 4)$$, 'the join year moved with it');

-- Median edges, in a join year of their own (2030): one value; an even count; ties.
SELECT pg_temp.pin(2, n, '2024-02-01 10:00', 100 + n, 'diy', v)
FROM (VALUES (0, '7'), (1, '3'), (2, '3'), (3, '10'), (4, '3'), (5, '10')) AS t (n, v);
SELECT pg_temp.usr(2, 0, '2024-02-01 10:00', 100, 40, '2030-06-01 00:00:00');
SELECT results_eq('SELECT median_follower_count FROM analytics.median_followers_per_join_year WHERE join_year = 2030',
                  $$VALUES (7::double precision)$$, 'one value: the median is that value');
SELECT pg_temp.usr(2, 1, '2024-02-01 10:00', 101, 40, '2030-06-01 00:00:00');
SELECT results_eq('SELECT median_follower_count FROM analytics.median_followers_per_join_year WHERE join_year = 2030',
                  $$VALUES (5::double precision)$$, 'two values: halfway between them');
SELECT pg_temp.usr(2, n, '2024-02-01 10:00', 100 + n, 40, '2030-06-01 00:00:00') FROM generate_series(2, 5) AS n;
SELECT results_eq('SELECT median_follower_count FROM analytics.median_followers_per_join_year WHERE join_year = 2030',
                  $$VALUES (5::double precision)$$, 'six values with ties (3, 3, 3, 7, 10, 10): halfway between 3 and 7');
SELECT pg_temp.pin(2, 6, '2024-02-02 10:00', 103, 'diy', '3');
SELECT results_eq('SELECT median_follower_count FROM analytics.median_followers_per_join_year_and_age_group WHERE join_year = 2030',
                  $$VALUES (3::double precision)$$, 'a tie in the middle: 3, 3, 3, 3, 7, 10 has median 3');

-- The middle positions in buckets of their own: 95 and 105 (buckets [90, 100) and
-- [100, 200)), then a third value that moves the median into the upper bucket.
SELECT pg_temp.pin(3, n, '2024-03-01 10:00', 200 + n, 'diy', v)
FROM (VALUES (0, '95'), (1, '105'), (2, '1M')) AS t (n, v);
SELECT pg_temp.usr(3, n, '2024-03-01 10:00', 200 + n, 30, '2031-06-01 00:00:00') FROM generate_series(0, 1) AS n;
SELECT results_eq('SELECT median_follower_count FROM analytics.median_followers_per_join_year WHERE join_year = 2031',
                  $$VALUES (100::double precision)$$, 'two values in two buckets: halfway between 95 and 105');
SELECT pg_temp.usr(3, 2, '2024-03-01 10:00', 202, 30, '2031-06-01 00:00:00');
SELECT results_eq('SELECT median_follower_count FROM analytics.median_followers_per_join_year WHERE join_year = 2031',
                  $$VALUES (105::double precision)$$, 'a third value (1M): the median moves to 105');
SELECT is((SELECT count(*)::int
           FROM (SELECT age_group, join_year, analytics.follower_bucket(follower_count) AS bucket, sum(pins) AS pins
                 FROM analytics.follower_age_group_join_year_counts GROUP BY 1, 2, 3) AS v
           FULL JOIN analytics.follower_bucket_age_group_join_year_counts AS b USING (age_group, join_year, bucket)
           WHERE v.pins IS DISTINCT FROM b.pins), 0,
          'every bucket holds the sum of its follower counts');

-- Every live answer equals its plain §7 recomputation, and a rebuild from staging gives the same
-- clean rows and counts: every count table of the schema, so that one added later is compared
-- too. A count that fell to 0 keeps its row and a rebuild makes none: the positive ones compare.
CREATE FUNCTION pg_temp.live_state_rows() RETURNS TABLE (t text, r jsonb) LANGUAGE plpgsql AS $$
DECLARE
    count_table regclass;
BEGIN
    RETURN QUERY SELECT 'clean.pins', to_jsonb(p) FROM clean.pins AS p
        UNION ALL SELECT 'clean.geolocations', to_jsonb(g) FROM clean.geolocations AS g
        UNION ALL SELECT 'clean.users', to_jsonb(u) FROM clean.users AS u;
    FOR count_table IN SELECT c.oid::regclass FROM pg_catalog.pg_class AS c
                       WHERE c.relnamespace = 'analytics'::regnamespace AND c.relkind = 'r'
                         AND c.relname LIKE '%\_counts' LOOP
        RETURN QUERY EXECUTE format(
            $q$SELECT %L, to_jsonb(c) FROM %s AS c
               WHERE coalesce(to_jsonb(c) ->> 'pins', to_jsonb(c) ->> 'users')::bigint > 0$q$,
            count_table::text, count_table);
    END LOOP;
END
$$;
SELECT is((SELECT count(DISTINCT t)::int FROM pg_temp.live_state_rows() WHERE t LIKE 'analytics.%'), 11,
          'the rebuild check covers all eleven count tables, each with rows');
CREATE TEMP TABLE before_rebuild AS SELECT * FROM pg_temp.live_state_rows();
SELECT analytics.rebuild_live_state();
SELECT set_eq('SELECT * FROM pg_temp.live_state_rows()',
              'SELECT * FROM before_rebuild', 'a rebuild from staging gives the rows the triggers kept');

-- Migration 0094: every count table leaves a quarter of its pages free for the upserts' updates.
SELECT set_eq($$SELECT c.relname::text, c.reloptions FROM pg_catalog.pg_class AS c
                WHERE c.relnamespace = 'analytics'::regnamespace AND c.relkind = 'r'
                  AND c.relname LIKE '%\_counts'$$,
              $$SELECT t, ARRAY['fillfactor=75'] FROM unnest(ARRAY['category_country_counts',
                  'category_year_counts', 'poster_follower_counts', 'category_age_group_counts',
                  'follower_age_group_counts', 'follower_join_year_counts',
                  'follower_age_group_join_year_counts', 'user_join_year_counts',
                  'follower_bucket_age_group_counts', 'follower_bucket_join_year_counts',
                  'follower_bucket_age_group_join_year_counts']) AS t$$,
              'the eleven count tables are filled to 75%, so that updating a count stays on its page');

SELECT * FROM finish();
ROLLBACK;
