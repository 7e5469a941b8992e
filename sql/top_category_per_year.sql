-- Most popular category each year (the year the pin was posted; every year).
-- Usage: psql -f sql/top_category_per_year.sql   (any role with pinpipe_reader's rights)
-- Live answer from analytics.top_category_per_year: current as of the last commit, milliseconds at any size.
-- Ties are all kept: every row of a group that shares the top value is listed.

SELECT *
FROM analytics.top_category_per_year
ORDER BY post_year, category;
