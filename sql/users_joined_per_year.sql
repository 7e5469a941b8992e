-- How many users joined each year (every year).
-- Usage: psql -f sql/users_joined_per_year.sql   (any role with pinpipe_reader's rights)
-- Live answer from analytics.users_joined_per_year: current as of the last commit, milliseconds at any size.
-- One row per join year: how many users joined that year.

SELECT *
FROM analytics.users_joined_per_year
ORDER BY join_year;
