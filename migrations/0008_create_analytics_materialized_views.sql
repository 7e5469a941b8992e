-- Materialized twins of the nine analytics views, for dashboards that must answer in
-- milliseconds: analytics.<name>_mv holds what analytics.<name> returned at the last
-- `pinpipe refresh`. Each is SELECT * of its view, so no ranking is written twice.
--
-- Each has a unique index over the columns that identify a row, which REFRESH MATERIALIZED VIEW
-- CONCURRENTLY requires (readers are not blocked while it runs). The keys hold because the views
-- are grouped by them (ranked rows: one per group and category or poster; medians and counts:
-- one per group). They are created populated: on a fresh database that costs nothing, and a
-- BI tool never meets "materialized view has not been populated".

CREATE MATERIALIZED VIEW analytics.top_category_per_country_mv AS
    SELECT * FROM analytics.top_category_per_country;
CREATE UNIQUE INDEX top_category_per_country_mv_key
    ON analytics.top_category_per_country_mv (country, category);

CREATE MATERIALIZED VIEW analytics.top_category_per_year_mv AS
    SELECT * FROM analytics.top_category_per_year;
CREATE UNIQUE INDEX top_category_per_year_mv_key
    ON analytics.top_category_per_year_mv (post_year, category);

CREATE MATERIALIZED VIEW analytics.most_followed_user_per_country_mv AS
    SELECT * FROM analytics.most_followed_user_per_country;
CREATE UNIQUE INDEX most_followed_user_per_country_mv_key
    ON analytics.most_followed_user_per_country_mv (country, poster_name);

CREATE MATERIALIZED VIEW analytics.country_with_most_followed_user_mv AS
    SELECT * FROM analytics.country_with_most_followed_user;
CREATE UNIQUE INDEX country_with_most_followed_user_mv_key
    ON analytics.country_with_most_followed_user_mv (country);

CREATE MATERIALIZED VIEW analytics.top_category_per_age_group_mv AS
    SELECT * FROM analytics.top_category_per_age_group;
CREATE UNIQUE INDEX top_category_per_age_group_mv_key
    ON analytics.top_category_per_age_group_mv (age_group, category);

CREATE MATERIALIZED VIEW analytics.median_followers_per_age_group_mv AS
    SELECT * FROM analytics.median_followers_per_age_group;
CREATE UNIQUE INDEX median_followers_per_age_group_mv_key
    ON analytics.median_followers_per_age_group_mv (age_group);

CREATE MATERIALIZED VIEW analytics.users_joined_per_year_mv AS
    SELECT * FROM analytics.users_joined_per_year;
CREATE UNIQUE INDEX users_joined_per_year_mv_key
    ON analytics.users_joined_per_year_mv (join_year);

CREATE MATERIALIZED VIEW analytics.median_followers_per_join_year_mv AS
    SELECT * FROM analytics.median_followers_per_join_year;
CREATE UNIQUE INDEX median_followers_per_join_year_mv_key
    ON analytics.median_followers_per_join_year_mv (join_year);

CREATE MATERIALIZED VIEW analytics.median_followers_per_join_year_and_age_group_mv AS
    SELECT * FROM analytics.median_followers_per_join_year_and_age_group;
CREATE UNIQUE INDEX median_followers_per_join_year_and_age_group_mv_key
    ON analytics.median_followers_per_join_year_and_age_group_mv (age_group, join_year);

-- Comments: each twin says whose twin it is, and its columns carry the comments of the view's
-- columns (copied from the catalog, so the text exists once).
DO $$
DECLARE
    twin record;
    col record;
BEGIN
    FOR twin IN
        SELECT c.relname AS mv_name, left(c.relname, -3) AS view_name
        FROM pg_catalog.pg_class AS c
        WHERE c.relnamespace = 'analytics'::regnamespace AND c.relkind = 'm'
    LOOP
        EXECUTE format('COMMENT ON MATERIALIZED VIEW analytics.%I IS %L', twin.mv_name,
                       format('Materialized analytics.%s as of the last pinpipe refresh: %s',
                              twin.view_name,
                              obj_description(format('analytics.%I', twin.view_name)::regclass, 'pg_class')));
        FOR col IN
            SELECT a.attname, col_description(a.attrelid, a.attnum) AS description
            FROM pg_catalog.pg_attribute AS a
            WHERE a.attrelid = format('analytics.%I', twin.view_name)::regclass
              AND a.attnum > 0 AND NOT a.attisdropped
        LOOP
            EXECUTE format('COMMENT ON COLUMN analytics.%I.%I IS %L', twin.mv_name, col.attname,
                           col.description);
        END LOOP;
    END LOOP;
END
$$;
