-- The generated cleaned columns and covering indexes of 0005 existed only to make the old
-- clean.* and analytics.* views fast. Since 0040/0041 nothing reads them: the triggers clean each
-- message once, from its payload, into clean.*, and the answers read the count tables. Measured
-- on 200,000 pin rows (psql \copy, same machine, same run): staging with them took 1.2-1.3x the
-- time of a lean table of payload, coordinates and unique key; without them the staging COPY is
-- as cheap as the lean one, which leaves that share of the load's time to the live state.
-- Dropping a column drops the indexes that use it (0005's covering indexes), on every partition.

ALTER TABLE staging.pin_events
    DROP COLUMN IF EXISTS ind,
    DROP COLUMN IF EXISTS follower_count,
    DROP COLUMN IF EXISTS poster_name,
    DROP COLUMN IF EXISTS category;
ALTER TABLE staging.geo_events
    DROP COLUMN IF EXISTS ind,
    DROP COLUMN IF EXISTS country,
    DROP COLUMN IF EXISTS "timestamp";
ALTER TABLE staging.user_events
    DROP COLUMN IF EXISTS ind,
    DROP COLUMN IF EXISTS age,
    DROP COLUMN IF EXISTS date_joined;
