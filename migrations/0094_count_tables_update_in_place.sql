-- The count tables keep a quarter of every page free, so that the fold's upserts can write a
-- count's new version beside the old one (a HOT update: no new entry in the primary key).
-- Every transaction that writes staging adds to counts whose keys earlier transactions made, so
-- most of the eleven upserts' work is updates of existing rows (in 20,000-message transactions,
-- 1 to 4 updates for every new key of the four big tables). On full pages a quarter of those
-- updates (25-28% on poster_follower_counts and follower_join_year_counts) had to go to another
-- page and add a primary-key entry there; at 75, 1-8%.
-- #26, the seeds' mix: 210,000 messages \copy'd in eleven transactions (bench/fold_cost.sh's
-- chunks, by hand in psql into three databases of one cluster on bc1c475), four runs of each
-- setting interleaved, autovacuum off: server CPU 4.67 s at the default fillfactor (100), 4.46 s
-- at 75, 4.43 s at 50; 75 costs a third more pages, 50 double. With autovacuum on, which prunes
-- the pages between runs, bench/fold_cost.sh with COMPARE_PINPIPE measured no difference
-- (staging with the folds 4.39 s against 4.40 s), and bench/load.sh one writer 0.97x: a small
-- gain that depends on how often autovacuum gets to the count tables.
-- SET (fillfactor) rewrites nothing: pages filled before this migration keep their rows until
-- updates move them; refresh --rebuild writes every count anew at 75.

ALTER TABLE analytics.category_country_counts SET (fillfactor = 75);
ALTER TABLE analytics.category_year_counts SET (fillfactor = 75);
ALTER TABLE analytics.poster_follower_counts SET (fillfactor = 75);
ALTER TABLE analytics.category_age_group_counts SET (fillfactor = 75);
ALTER TABLE analytics.follower_age_group_counts SET (fillfactor = 75);
ALTER TABLE analytics.follower_join_year_counts SET (fillfactor = 75);
ALTER TABLE analytics.follower_age_group_join_year_counts SET (fillfactor = 75);
ALTER TABLE analytics.user_join_year_counts SET (fillfactor = 75);
ALTER TABLE analytics.follower_bucket_age_group_counts SET (fillfactor = 75);
ALTER TABLE analytics.follower_bucket_join_year_counts SET (fillfactor = 75);
ALTER TABLE analytics.follower_bucket_age_group_join_year_counts SET (fillfactor = 75);
