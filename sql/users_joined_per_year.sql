-- How many users joined each year, 2015-2020.
-- Usage: psql -f sql/users_joined_per_year.sql   (any role with pinpipe_reader's rights)
-- Live answer from analytics.users_joined_per_year; for the answer as of the last
-- `pinpipe refresh` (milliseconds instead of about a second) read analytics.users_joined_per_year_mv.
-- Ties are all kept: every row of a group that shares the top value is listed.

SELECT *
FROM analytics.users_joined_per_year
ORDER BY join_year;
