-- Most popular category per age group of the posting user (18-24, 25-35, 36-50, 50+).
-- Usage: psql -f sql/top_category_per_age_group.sql   (any role with pinpipe_reader's rights)
-- Live answer from analytics.top_category_per_age_group: current as of the last commit, milliseconds at any size.
-- Ties are all kept: every row of a group that shares the top value is listed.

SELECT *
FROM analytics.top_category_per_age_group
ORDER BY clean.age_group_lower_bound(age_group), category;
