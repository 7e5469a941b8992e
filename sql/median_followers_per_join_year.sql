-- Median follower count of the pins by the year their users joined, 2015-2020.
-- Usage: psql -f sql/median_followers_per_join_year.sql   (any role with pinpipe_reader's rights)
-- Live answer from analytics.median_followers_per_join_year; for the answer as of the last
-- `pinpipe refresh` (milliseconds instead of about a second) read analytics.median_followers_per_join_year_mv.
-- Ties are all kept: every row of a group that shares the top value is listed.

SELECT *
FROM analytics.median_followers_per_join_year
ORDER BY join_year;
