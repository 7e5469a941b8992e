-- Most popular category each year, 2018-2022 (year the pin was posted).
-- Usage: psql -f sql/top_category_per_year.sql   (any role with pinpipe_reader's rights)
-- Live answer from analytics.top_category_per_year; for the answer as of the last
-- `pinpipe refresh` (milliseconds instead of about a second) read analytics.top_category_per_year_mv.
-- Ties are all kept: every row of a group that shares the top value is listed.

SELECT *
FROM analytics.top_category_per_year
ORDER BY post_year, category;
