-- The country whose most followed poster has the most followers of all.
-- Usage: psql -f sql/country_with_most_followed_user.sql   (any role with pinpipe_reader's rights)
-- Live answer from analytics.country_with_most_followed_user; for the answer as of the last
-- `pinpipe refresh` (milliseconds instead of about a second) read analytics.country_with_most_followed_user_mv.
-- Ties are all kept: every row of a group that shares the top value is listed.

SELECT *
FROM analytics.country_with_most_followed_user
ORDER BY country;
