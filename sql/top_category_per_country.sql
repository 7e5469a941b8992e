-- Most popular category in each country.
-- Usage: psql -f sql/top_category_per_country.sql   (any role with pinpipe_reader's rights)
-- Live answer from analytics.top_category_per_country: current as of the last commit, milliseconds at any size.
-- Ties are all kept: every row of a group that shares the top value is listed.

SELECT *
FROM analytics.top_category_per_country
ORDER BY country, category;
