-- Median follower count of the pins by age group and join year of their users (every year).
-- Usage: psql -f sql/median_followers_per_join_year_and_age_group.sql   (any role with pinpipe_reader's rights)
-- Live answer from analytics.median_followers_per_join_year_and_age_group: current as of the last commit, milliseconds at any size.
-- One row per age group and join year: the exact median (percentile_cont(0.5)) of its pins'
-- follower counts.

SELECT *
FROM analytics.median_followers_per_join_year_and_age_group
ORDER BY clean.age_group_lower_bound(age_group), join_year;
