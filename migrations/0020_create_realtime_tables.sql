-- The metric tables pinpipe stream keeps current (DESIGN §8). Each batch adds its per-key deltas
-- with one additive upsert per table, in the same transaction as the fenced offsets, so every
-- valid Kafka message is counted exactly once. minute is the Kafka message timestamp truncated
-- to the minute, in UTC. A message whose cleaned key is NULL (no category, no country, an age
-- under 18 or missing, no poster name) is left out of that table only; realtime.event_minute
-- counts every valid message. Keys longer than 1024 bytes are left out too: no btree index
-- entry can hold an arbitrarily long text, and one such message must not stop the stream.

CREATE TABLE realtime.event_minute (
    kind   text        NOT NULL CHECK (kind IN ('pin', 'geo', 'user')),
    minute timestamptz NOT NULL,
    events bigint      NOT NULL,
    PRIMARY KEY (kind, minute)
);
COMMENT ON TABLE realtime.event_minute IS 'Valid messages per event kind and minute (dead letters are not counted)';
COMMENT ON COLUMN realtime.event_minute.kind IS 'Event kind: pin, geo or user (the topic <prefix>.<kind>)';
COMMENT ON COLUMN realtime.event_minute.minute IS 'Kafka message timestamp truncated to the minute (UTC)';
COMMENT ON COLUMN realtime.event_minute.events IS 'Messages of that kind in that minute';

CREATE TABLE realtime.category_minute (
    category text        NOT NULL,
    minute   timestamptz NOT NULL,
    posts    bigint      NOT NULL,
    PRIMARY KEY (category, minute)
);
CREATE INDEX category_minute_minute_idx ON realtime.category_minute (minute);
COMMENT ON TABLE realtime.category_minute IS 'Pins per cleaned category and minute, from <prefix>.pin (pins without a category are not counted)';
COMMENT ON COLUMN realtime.category_minute.category IS 'Cleaned category (clean.pins.category)';
COMMENT ON COLUMN realtime.category_minute.minute IS 'Kafka message timestamp truncated to the minute (UTC)';
COMMENT ON COLUMN realtime.category_minute.posts IS 'Pin messages of that category in that minute';

CREATE TABLE realtime.country_minute (
    country text        NOT NULL,
    minute  timestamptz NOT NULL,
    posts   bigint      NOT NULL,
    PRIMARY KEY (country, minute)
);
CREATE INDEX country_minute_minute_idx ON realtime.country_minute (minute);
COMMENT ON TABLE realtime.country_minute IS 'Posts per cleaned country and minute, from <prefix>.geo (geolocations without a country are not counted)';
COMMENT ON COLUMN realtime.country_minute.country IS 'Cleaned country (clean.geolocations.country)';
COMMENT ON COLUMN realtime.country_minute.minute IS 'Kafka message timestamp truncated to the minute (UTC)';
COMMENT ON COLUMN realtime.country_minute.posts IS 'Geolocation messages of that country in that minute';

CREATE TABLE realtime.age_group_minute (
    age_group text        NOT NULL CHECK (age_group IN ('18-24', '25-35', '36-50', '+50')),
    minute    timestamptz NOT NULL,
    users     bigint      NOT NULL,
    PRIMARY KEY (age_group, minute)
);
COMMENT ON TABLE realtime.age_group_minute IS 'Posting users per age group and minute, from <prefix>.user (ages missing or under 18 are not counted)';
COMMENT ON COLUMN realtime.age_group_minute.age_group IS 'Age group of the cleaned age: 18-24, 25-35, 36-50 or +50 (bounds inclusive, as clean.age_group)';
COMMENT ON COLUMN realtime.age_group_minute.minute IS 'Kafka message timestamp truncated to the minute (UTC)';
COMMENT ON COLUMN realtime.age_group_minute.users IS 'User messages of that age group in that minute (one per post: a user who posts twice counts twice)';

CREATE TABLE realtime.poster_popularity (
    poster_name         text        PRIMARY KEY,
    posts               bigint      NOT NULL,
    follower_count      bigint,
    follower_count_seen timestamptz,
    last_seen           timestamptz NOT NULL
);
CREATE INDEX poster_popularity_follower_count_idx ON realtime.poster_popularity (follower_count DESC NULLS LAST);
COMMENT ON TABLE realtime.poster_popularity IS 'Pins per cleaned poster name with the latest known follower count, from <prefix>.pin (pins without a poster name are not counted)';
COMMENT ON COLUMN realtime.poster_popularity.poster_name IS 'Cleaned poster name (clean.pins.poster_name)';
COMMENT ON COLUMN realtime.poster_popularity.posts IS 'Pin messages of this poster';
COMMENT ON COLUMN realtime.poster_popularity.follower_count IS 'Cleaned follower count of the poster''s pin with the latest Kafka timestamp that had one (the larger on equal timestamps, so the result does not depend on delivery order); NULL when no pin had one';
COMMENT ON COLUMN realtime.poster_popularity.follower_count_seen IS 'Kafka timestamp of the pin follower_count comes from';
COMMENT ON COLUMN realtime.poster_popularity.last_seen IS 'Latest Kafka timestamp of a pin of this poster';

SELECT etl.grant_if_role_exists('pinpipe_loader', 'GRANT SELECT, INSERT, UPDATE ON realtime.event_minute, realtime.category_minute, realtime.country_minute, realtime.age_group_minute, realtime.poster_popularity TO %s');
SELECT etl.grant_if_role_exists('pinpipe_reader', 'GRANT SELECT ON realtime.event_minute, realtime.category_minute, realtime.country_minute, realtime.age_group_minute, realtime.poster_popularity TO %s');
