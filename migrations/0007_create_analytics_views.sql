-- The nine queries of DESIGN §7 as views over the clean views, joined on ind.
--
-- Common to all of them: a row needs every value it uses to be non-NULL after cleaning; rankings
-- keep ties (dense_rank() = 1); result rows are distinct (grouped results are distinct by
-- construction, the others say DISTINCT); rows come ordered by the first column, then by the
-- following ones so that the order is total. Age groups are clean.age_group and sort in age order
-- (18-24, 25-35, 36-50, +50: clean.age_group_lower_bound), not in text order, which would put +50
-- first. The year ranges are the two functions below. Counting and ranking happen on
-- aggregates, never on the joined rows themselves, so that each view sorts a few hundred rows
-- rather than a million. Like the clean views they run with their owner's rights.

CREATE FUNCTION analytics.post_year(posted_at timestamp)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN posted_at >= '2018-01-01' AND posted_at < '2023-01-01'
            THEN date_part('year', posted_at)::integer END;
COMMENT ON FUNCTION analytics.post_year(timestamp) IS
    'Year of a post (its geolocation timestamp) when it lies in 2018-2022, the years analytics.top_category_per_year covers; NULL otherwise';

CREATE FUNCTION analytics.join_year(date_joined timestamp)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN date_joined >= '2015-01-01' AND date_joined < '2021-01-01'
            THEN date_part('year', date_joined)::integer END;
COMMENT ON FUNCTION analytics.join_year(timestamp) IS
    'Year a user joined when it lies in 2015-2020, the years the join-year analytics cover; NULL otherwise';

-- Posts and countries ----------------------------------------------------------------------------

CREATE VIEW analytics.top_category_per_country AS
WITH category_counts AS (
    SELECT g.country, p.category, count(*) AS category_count
    FROM clean.pins AS p
    JOIN clean.geolocations AS g ON g.ind = p.ind
    WHERE g.country IS NOT NULL AND p.category IS NOT NULL
    GROUP BY g.country, p.category
), ranked AS (
    SELECT c.country, c.category, c.category_count,
           dense_rank() OVER (PARTITION BY c.country ORDER BY c.category_count DESC) AS category_rank
    FROM category_counts AS c
)
SELECT r.country, r.category, r.category_count
FROM ranked AS r
WHERE r.category_rank = 1
ORDER BY r.country, r.category;

CREATE VIEW analytics.top_category_per_year AS
WITH category_counts AS (
    SELECT analytics.post_year(g."timestamp") AS post_year, p.category, count(*) AS category_count
    FROM clean.pins AS p
    JOIN clean.geolocations AS g ON g.ind = p.ind
    WHERE analytics.post_year(g."timestamp") IS NOT NULL AND p.category IS NOT NULL
    GROUP BY 1, p.category
), ranked AS (
    SELECT c.post_year, c.category, c.category_count,
           dense_rank() OVER (PARTITION BY c.post_year ORDER BY c.category_count DESC) AS category_rank
    FROM category_counts AS c
)
SELECT r.post_year, r.category, r.category_count
FROM ranked AS r
WHERE r.category_rank = 1
ORDER BY r.post_year, r.category;

-- Ranking the posters' highest counts gives the same rows as ranking every pin, with fewer rows:
-- the top rows of a country are exactly the posters whose highest count is the country's highest.
CREATE VIEW analytics.most_followed_user_per_country AS
WITH poster_counts AS (
    SELECT g.country, p.poster_name, max(p.follower_count) AS follower_count
    FROM clean.pins AS p
    JOIN clean.geolocations AS g ON g.ind = p.ind
    WHERE g.country IS NOT NULL AND p.poster_name IS NOT NULL AND p.follower_count IS NOT NULL
    GROUP BY g.country, p.poster_name
), ranked AS (
    SELECT c.country, c.poster_name, c.follower_count,
           dense_rank() OVER (PARTITION BY c.country ORDER BY c.follower_count DESC) AS follower_rank
    FROM poster_counts AS c
)
SELECT r.country, r.poster_name, r.follower_count
FROM ranked AS r
WHERE r.follower_rank = 1
ORDER BY r.country, r.poster_name;

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

-- Posts and users --------------------------------------------------------------------------------

CREATE VIEW analytics.top_category_per_age_group AS
WITH category_counts AS (
    SELECT clean.age_group(u.age) AS age_group, p.category, count(*) AS category_count
    FROM clean.pins AS p
    JOIN clean.users AS u ON u.ind = p.ind
    WHERE clean.age_group(u.age) IS NOT NULL AND p.category IS NOT NULL
    GROUP BY 1, p.category
), ranked AS (
    SELECT c.age_group, c.category, c.category_count,
           dense_rank() OVER (PARTITION BY c.age_group ORDER BY c.category_count DESC) AS category_rank
    FROM category_counts AS c
)
SELECT r.age_group, r.category, r.category_count
FROM ranked AS r
WHERE r.category_rank = 1
ORDER BY clean.age_group_lower_bound(r.age_group), r.category;

CREATE VIEW analytics.median_followers_per_age_group AS
SELECT clean.age_group(u.age) AS age_group,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY p.follower_count) AS median_follower_count
FROM clean.pins AS p
JOIN clean.users AS u ON u.ind = p.ind
WHERE clean.age_group(u.age) IS NOT NULL AND p.follower_count IS NOT NULL
GROUP BY 1
ORDER BY clean.age_group_lower_bound(clean.age_group(u.age));

CREATE VIEW analytics.users_joined_per_year AS
SELECT analytics.join_year(u.date_joined) AS join_year, count(*) AS number_users_joined
FROM clean.users AS u
WHERE analytics.join_year(u.date_joined) IS NOT NULL
GROUP BY 1
ORDER BY 1;

CREATE VIEW analytics.median_followers_per_join_year AS
SELECT analytics.join_year(u.date_joined) AS join_year,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY p.follower_count) AS median_follower_count
FROM clean.pins AS p
JOIN clean.users AS u ON u.ind = p.ind
WHERE analytics.join_year(u.date_joined) IS NOT NULL AND p.follower_count IS NOT NULL
GROUP BY 1
ORDER BY 1;

CREATE VIEW analytics.median_followers_per_join_year_and_age_group AS
SELECT clean.age_group(u.age) AS age_group,
       analytics.join_year(u.date_joined) AS join_year,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY p.follower_count) AS median_follower_count
FROM clean.pins AS p
JOIN clean.users AS u ON u.ind = p.ind
WHERE clean.age_group(u.age) IS NOT NULL
  AND analytics.join_year(u.date_joined) IS NOT NULL
  AND p.follower_count IS NOT NULL
GROUP BY 1, 2
ORDER BY clean.age_group_lower_bound(clean.age_group(u.age)), 2;

-- What a BI user sees ---------------------------------------------------------------------------

COMMENT ON VIEW analytics.top_category_per_country IS
    'Most popular category in each country (pins joined to their geolocation); ties are all kept';
COMMENT ON COLUMN analytics.top_category_per_country.country IS 'Country the pins were posted from';
COMMENT ON COLUMN analytics.top_category_per_country.category IS 'A category with the most pins in that country';
COMMENT ON COLUMN analytics.top_category_per_country.category_count IS 'Pins of that category posted from that country';

COMMENT ON VIEW analytics.top_category_per_year IS
    'Most popular category each year 2018-2022 (year of the geolocation timestamp); ties are all kept';
COMMENT ON COLUMN analytics.top_category_per_year.post_year IS 'Year the pins were posted (2018-2022)';
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
    'Most popular category per age group of the posting user (18-24, 25-35, 36-50, +50, bounds inclusive); ties are all kept';
COMMENT ON COLUMN analytics.top_category_per_age_group.age_group IS 'Age group of the posting users: 18-24, 25-35, 36-50 or +50 (51 and over)';
COMMENT ON COLUMN analytics.top_category_per_age_group.category IS 'A category with the most pins in that age group';
COMMENT ON COLUMN analytics.top_category_per_age_group.category_count IS 'Pins of that category posted by users of that age group';

COMMENT ON VIEW analytics.median_followers_per_age_group IS
    'Exact median follower count (percentile_cont(0.5)) of the pins posted by each age group';
COMMENT ON COLUMN analytics.median_followers_per_age_group.age_group IS 'Age group of the posting users: 18-24, 25-35, 36-50 or +50 (51 and over)';
COMMENT ON COLUMN analytics.median_followers_per_age_group.median_follower_count IS 'Median of the follower counts of those pins (one per pin; halfway between the middle two when their number is even)';

COMMENT ON VIEW analytics.users_joined_per_year IS
    'How many users joined each year 2015-2020 (one user per ind)';
COMMENT ON COLUMN analytics.users_joined_per_year.join_year IS 'Year the users joined (2015-2020)';
COMMENT ON COLUMN analytics.users_joined_per_year.number_users_joined IS 'Users (rows of clean.users) who joined that year';

COMMENT ON VIEW analytics.median_followers_per_join_year IS
    'Exact median follower count (percentile_cont(0.5)) of the pins posted by users who joined in each year 2015-2020';
COMMENT ON COLUMN analytics.median_followers_per_join_year.join_year IS 'Year the posting users joined (2015-2020)';
COMMENT ON COLUMN analytics.median_followers_per_join_year.median_follower_count IS 'Median of the follower counts of those pins (one per pin)';

COMMENT ON VIEW analytics.median_followers_per_join_year_and_age_group IS
    'Exact median follower count (percentile_cont(0.5)) of the pins per age group and join year 2015-2020 of the posting users';
COMMENT ON COLUMN analytics.median_followers_per_join_year_and_age_group.age_group IS 'Age group of the posting users: 18-24, 25-35, 36-50 or +50 (51 and over)';
COMMENT ON COLUMN analytics.median_followers_per_join_year_and_age_group.join_year IS 'Year the posting users joined (2015-2020)';
COMMENT ON COLUMN analytics.median_followers_per_join_year_and_age_group.median_follower_count IS 'Median of the follower counts of those pins (one per pin)';
