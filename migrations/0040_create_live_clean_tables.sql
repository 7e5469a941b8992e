-- clean.pins, clean.geolocations, clean.users become tables kept current by statement-level
-- triggers on staging (DESIGN §5), replacing the views of 0006 whose cost grew with history.
--
-- One row per ind; the latest message wins by Kafka coordinates only: the newest kafka_timestamp
-- (a message without one loses), then the highest partition, then the highest offset, then the
-- topic (the last only orders copies of one ind across prefixes). loaded_at no longer counts, so
-- the rows are the same whatever order or speed the loaders ran at. Each table keeps the winner's
-- coordinates after the columns of §6, so a later message can be compared with it.
--
-- Why statement-level AFTER triggers with transition tables (REFERENCING NEW TABLE): they fire
-- in the transaction of whatever writes staging (pinpipe load, dlq replay, a COPY typed by hand),
-- once per statement, with the statement's rows as a relation: one set-based upsert per COPY
-- rather than one call per row. They work on a partitioned parent in PostgreSQL 15, which
-- staging becomes (0031-0039). The trigger functions are SECURITY DEFINER: the loader role writes
-- staging only, and the functions (owned by the migrating role) write clean and analytics.
--
-- The analytics counts these tables feed are in 0041; the trigger functions call it.

-- The cleaned fields of one payload: the one place that maps a message to its clean row
-- (triggers, the initial fill and pinpipe refresh --rebuild all use these). A string body, so
-- that the planner inlines the call into the caller's query (no per-row function call).
CREATE FUNCTION clean.pin_fields(payload jsonb)
RETURNS TABLE (ind bigint, unique_id text, title text, description text, follower_count bigint,
               poster_name text, tag_list text, is_image_or_video text, image_src text,
               save_location text, category text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT clean.jsonb_to_bigint(payload -> 'index'),
       clean.text_field('unique_id', payload -> 'unique_id'),
       clean.text_field('title', payload -> 'title'),
       clean.text_field('description', payload -> 'description'),
       clean.follower_count(clean.text_field('follower_count', payload -> 'follower_count')),
       clean.text_field('poster_name', payload -> 'poster_name'),
       clean.text_field('tag_list', payload -> 'tag_list'),
       clean.text_field('is_image_or_video', payload -> 'is_image_or_video'),
       clean.text_field('image_src', payload -> 'image_src'),
       clean.save_location_path(clean.text_field('save_location', payload -> 'save_location')),
       clean.text_field('category', payload -> 'category')
$$;
COMMENT ON FUNCTION clean.pin_fields(jsonb) IS
    'The columns of clean.pins (DESIGN §6) computed from one pin payload; ind is NULL when the payload has no integer index';

CREATE FUNCTION clean.geolocation_fields(payload jsonb)
RETURNS TABLE (ind bigint, country text, coordinates double precision[], "timestamp" timestamp)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT clean.jsonb_to_bigint(payload -> 'ind'),
       clean.text_field('country', payload -> 'country'),
       ARRAY[clean.jsonb_to_double(payload -> 'latitude'), clean.jsonb_to_double(payload -> 'longitude')],
       clean.text_to_timestamp(clean.text_field('timestamp', payload -> 'timestamp'))
$$;
COMMENT ON FUNCTION clean.geolocation_fields(jsonb) IS
    'The columns of clean.geolocations (DESIGN §6) computed from one geolocation payload; ind is NULL when the payload has no integer ind';

CREATE FUNCTION clean.user_fields(payload jsonb)
RETURNS TABLE (ind bigint, user_name text, age integer, date_joined timestamp)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT clean.jsonb_to_bigint(payload -> 'ind'),
       -- NULL when either name is missing, as the concatenation of §6 gives.
       clean.text_field('first_name', payload -> 'first_name') || ' '
           || clean.text_field('last_name', payload -> 'last_name'),
       clean.jsonb_to_integer(payload -> 'age'),
       clean.text_to_timestamp(clean.text_field('date_joined', payload -> 'date_joined'))
$$;
COMMENT ON FUNCTION clean.user_fields(jsonb) IS
    'The columns of clean.users (DESIGN §6) computed from one user payload; ind is NULL when the payload has no integer ind';

-- The old views go, with everything built on them (their replacements are in 0041).
DROP VIEW clean.pins, clean.geolocations, clean.users CASCADE;

CREATE TABLE clean.pins (
    ind               bigint PRIMARY KEY,
    unique_id         text,
    title             text,
    description       text,
    follower_count    bigint,
    poster_name       text,
    tag_list          text,
    is_image_or_video text,
    image_src         text,
    save_location     text,
    category          text,
    kafka_timestamp   timestamptz,
    kafka_partition   integer NOT NULL,
    kafka_offset      bigint  NOT NULL,
    kafka_topic       text    NOT NULL
);
CREATE TABLE clean.geolocations (
    ind             bigint PRIMARY KEY,
    country         text,
    coordinates     double precision[],
    "timestamp"     timestamp,
    kafka_timestamp timestamptz,
    kafka_partition integer NOT NULL,
    kafka_offset    bigint  NOT NULL,
    kafka_topic     text    NOT NULL
);
CREATE TABLE clean.users (
    ind             bigint PRIMARY KEY,
    user_name       text,
    age             integer,
    date_joined     timestamp,
    kafka_timestamp timestamptz,
    kafka_partition integer NOT NULL,
    kafka_offset    bigint  NOT NULL,
    kafka_topic     text    NOT NULL
);

COMMENT ON SCHEMA clean IS 'The latest message of every ind, cleaned (DESIGN §6): tables kept current by triggers on staging';

COMMENT ON TABLE clean.pins IS
    'One row per pin (ind): the latest message of staging.pin_events (newest Kafka timestamp, then highest partition, then highest offset), cleaned per DESIGN §6; kept current in the transaction that writes staging';
COMMENT ON COLUMN clean.pins.ind IS 'Pin id (the index field of the message); joins clean.geolocations and clean.users';
COMMENT ON COLUMN clean.pins.unique_id IS 'UUID of the pin as text';
COMMENT ON COLUMN clean.pins.title IS 'Title; NULL when empty or "No Title Data Available"';
COMMENT ON COLUMN clean.pins.description IS 'Description; NULL when empty, "No description available" or "No description available Story format"';
COMMENT ON COLUMN clean.pins.follower_count IS 'Followers of the poster: "985" -> 985, "7k" -> 7000, "1M" -> 1000000; NULL for "User Info Error", empty or any other text (see clean.follower_count)';
COMMENT ON COLUMN clean.pins.poster_name IS 'Name of the posting account; NULL when empty or "User Info Error"';
COMMENT ON COLUMN clean.pins.tag_list IS 'Comma-separated tags; NULL when empty or the "N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e" placeholder';
COMMENT ON COLUMN clean.pins.is_image_or_video IS 'Kind of post: image, video or multi-video(story page format)';
COMMENT ON COLUMN clean.pins.image_src IS 'Image URL; NULL when empty or "Image src error."';
COMMENT ON COLUMN clean.pins.save_location IS 'Where the image was saved, path only ("Local save in /data/art" -> "/data/art")';
COMMENT ON COLUMN clean.pins.category IS 'Pinterest category (art, beauty, travel, ...)';

COMMENT ON TABLE clean.geolocations IS
    'One row per pin (ind): where and when it was posted, from the latest message of staging.geo_events (same order as clean.pins), cleaned per DESIGN §6';
COMMENT ON COLUMN clean.geolocations.ind IS 'Pin id; joins clean.pins and clean.users';
COMMENT ON COLUMN clean.geolocations.country IS 'Country the pin was posted from; NULL when empty';
COMMENT ON COLUMN clean.geolocations.coordinates IS 'ARRAY[latitude, longitude] in degrees; an element is NULL when that value was missing or not a number';
COMMENT ON COLUMN clean.geolocations."timestamp" IS 'When the pin was posted (no time zone, as delivered); NULL when not "YYYY-MM-DD HH:MM:SS" naming a real time';

COMMENT ON TABLE clean.users IS
    'One row per pin (ind): the user who posted it, from the latest message of staging.user_events (same order as clean.pins), cleaned per DESIGN §6';
COMMENT ON COLUMN clean.users.ind IS 'Pin id; joins clean.pins and clean.geolocations';
COMMENT ON COLUMN clean.users.user_name IS 'first_name || '' '' || last_name; NULL when either is missing or empty';
COMMENT ON COLUMN clean.users.age IS 'Age in years; NULL when missing or not an integer';
COMMENT ON COLUMN clean.users.date_joined IS 'When the user joined (no time zone, as delivered); NULL when not "YYYY-MM-DD HH:MM:SS" naming a real time';

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['pins', 'geolocations', 'users'] LOOP
        EXECUTE format('COMMENT ON COLUMN clean.%I.kafka_timestamp IS %L', t, 'Kafka timestamp of the winning message (NULL when it had none)');
        EXECUTE format('COMMENT ON COLUMN clean.%I.kafka_partition IS %L', t, 'Kafka partition of the winning message');
        EXECUTE format('COMMENT ON COLUMN clean.%I.kafka_offset IS %L', t, 'Kafka offset of the winning message');
        EXECUTE format('COMMENT ON COLUMN clean.%I.kafka_topic IS %L', t, 'Kafka topic of the winning message');
    END LOOP;
END
$$;

-- The top age group is labelled 50+, as seed 003 labels it (DESIGN §7); "+50" was a misreading.
CREATE OR REPLACE FUNCTION clean.age_group(age integer)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN age BETWEEN 18 AND 24 THEN '18-24'
    WHEN age BETWEEN 25 AND 35 THEN '25-35'
    WHEN age BETWEEN 36 AND 50 THEN '36-50'
    WHEN age > 50 THEN '50+'
END;
COMMENT ON FUNCTION clean.age_group(integer) IS
    'Age group of an age, bounds inclusive: 18-24, 25-35, 36-50, 50+ (51 and over); NULL under 18 and for NULL';

CREATE OR REPLACE FUNCTION clean.age_group_lower_bound(age_group text)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE age_group WHEN '18-24' THEN 18 WHEN '25-35' THEN 25 WHEN '36-50' THEN 36 WHEN '50+' THEN 51 END;
COMMENT ON FUNCTION clean.age_group_lower_bound(text) IS
    'Youngest age of a group of clean.age_group (18, 25, 36, 51), to sort groups in age order; NULL for any other text';

-- pinpipe stream labels its age groups with the same rule (events::age_group): its table takes
-- the new label, rows already counted included.
ALTER TABLE realtime.age_group_minute DROP CONSTRAINT age_group_minute_age_group_check;
UPDATE realtime.age_group_minute SET age_group = '50+' WHERE age_group = '+50';
ALTER TABLE realtime.age_group_minute
    ADD CONSTRAINT age_group_minute_age_group_check CHECK (age_group IN ('18-24', '25-35', '36-50', '50+'));
COMMENT ON COLUMN realtime.age_group_minute.age_group IS
    'Age group of the cleaned age: 18-24, 25-35, 36-50 or 50+ (bounds inclusive, as clean.age_group)';
