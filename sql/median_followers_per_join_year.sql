-- Median follower count of the pins by the year their users joined (every year).
-- Usage: psql -f sql/median_followers_per_join_year.sql   (any role with pinpipe_reader's rights)
-- Live answer from analytics.median_followers_per_join_year: current as of the last commit, milliseconds at any size.
-- One row per join year: the exact median (percentile_cont(0.5)) of its pins' follower counts.

SELECT *
FROM analytics.median_followers_per_join_year
ORDER BY join_year;
