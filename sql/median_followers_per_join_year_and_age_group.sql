-- Median follower count of the pins by age group and join year of their users (every year).
-- Usage: psql -f sql/median_followers_per_join_year_and_age_group.sql   (any role with pinpipe_reader's rights)
-- Live answer from analytics.median_followers_per_join_year_and_age_group: current as of the last commit, milliseconds at any size.
-- Ties are all kept: every row of a group that shares the top value is listed.

SELECT *
FROM analytics.median_followers_per_join_year_and_age_group
ORDER BY clean.age_group_lower_bound(age_group), join_year;
