-- The fold's count upserts aggregate their deltas by hash instead of sorting them first (#26).
-- Profiled on the seeds' mix (`PROFILE=1 bench/fold_cost.sh`: auto_explain of every fold, the
-- time of each plan node summed per CTE), the eleven count upserts were about 40% of the fold,
-- and a sort of the changes per upsert (GroupAggregate under ORDER BY) about a fifth of that.
-- The ORDER BY put each upsert's rows in key order, which only the row locks of concurrent
-- upserts needed: every writer of the counts holds the fold lock (analytics.lock_live_state), so
-- they run one at a time, as migration 0046 already noted for the clean rows. Without it the
-- planner aggregates each upsert's deltas in a hash table and inserts them in its order.
-- The same deltas, the same HAVING: every count ends the same; pgTAP's live-state tests and
-- `refresh --verify` compare them with the §7 recomputation and with a rebuild.

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
