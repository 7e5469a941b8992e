-- The poster with the most followers in each country.
-- Usage: psql -f sql/most_followed_user_per_country.sql   (any role with pinpipe_reader's rights)
-- Live answer from analytics.most_followed_user_per_country; for the answer as of the last
-- `pinpipe refresh` (milliseconds instead of about a second) read analytics.most_followed_user_per_country_mv.
-- Ties are all kept: every row of a group that shares the top value is listed.

SELECT *
FROM analytics.most_followed_user_per_country
ORDER BY country, poster_name;
