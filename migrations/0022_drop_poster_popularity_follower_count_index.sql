-- The follower_count index of realtime.poster_popularity (migration 0020) made every batch's
-- upsert about twice as slow: a follower count that changes is an indexed column changing, so
-- no update could be HOT, and the stream's commit time is its end-to-end latency. Ranking the
-- posters (one row each) by follower count is a sort of a small table, fast without it.
DROP INDEX realtime.poster_popularity_follower_count_idx;
