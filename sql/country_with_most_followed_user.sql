-- The country whose most followed poster has the most followers of all.
-- Usage: psql -f sql/country_with_most_followed_user.sql   (any role with pinpipe_reader's rights)
-- Live answer from analytics.country_with_most_followed_user: current as of the last commit, milliseconds at any size.
-- Ties are all kept: every row of a group that shares the top value is listed.

SELECT *
FROM analytics.country_with_most_followed_user
ORDER BY country;
