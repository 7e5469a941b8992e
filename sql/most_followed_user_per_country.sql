-- The poster with the most followers in each country.
-- Usage: psql -f sql/most_followed_user_per_country.sql   (any role with pinpipe_reader's rights)
-- Live answer from analytics.most_followed_user_per_country: current as of the last commit, milliseconds at any size.
-- Ties are all kept: every row of a group that shares the top value is listed.

SELECT *
FROM analytics.most_followed_user_per_country
ORDER BY country, poster_name;
