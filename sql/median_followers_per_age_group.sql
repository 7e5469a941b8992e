-- Median follower count of the pins posted by each age group.
-- Usage: psql -f sql/median_followers_per_age_group.sql   (any role with pinpipe_reader's rights)
-- Live answer from analytics.median_followers_per_age_group; for the answer as of the last
-- `pinpipe refresh` (milliseconds instead of about a second) read analytics.median_followers_per_age_group_mv.
-- Ties are all kept: every row of a group that shares the top value is listed.

SELECT *
FROM analytics.median_followers_per_age_group
ORDER BY clean.age_group_lower_bound(age_group);
