-- clean.pins, clean.geolocations, clean.users: the rules of DESIGN §6 over staging, one row per ind.
--
-- The latest delivered message of an ind wins, deterministically: the newest kafka_timestamp (a
-- message without one loses), then the newest loaded_at (the later load), then the highest
-- (kafka_topic, kafka_partition, kafka_offset). Those three are the unique key of staging, so the
-- order is total and the same row wins on every read. A message whose ind is not an integer
-- (the loader dead-letters those, so only a hand-written row can be one) is left out.
--
-- Every value is a clean.* function of migration 0004 applied to the payload: the fields the
-- analytics read come from the generated columns of migration 0005 (the same functions, computed
-- once at load), the others are computed here. The DISTINCT ON order is the order of the staging
-- indexes of 0005, so a view reads the winners off an index-only scan, in ind order; columns a
-- query does not use are dropped by the planner, payload and all.
--
-- Rights: the views run with their owner's rights (security_invoker stays off), so that
-- pinpipe_reader reads them without any privilege on staging; the grants are in migration 0009.

CREATE VIEW clean.pins AS
SELECT DISTINCT ON (e.ind)
       e.ind,
       clean.text_field('unique_id', e.payload -> 'unique_id')                 AS unique_id,
       clean.text_field('title', e.payload -> 'title')                         AS title,
       clean.text_field('description', e.payload -> 'description')             AS description,
       e.follower_count,
       e.poster_name,
       clean.text_field('tag_list', e.payload -> 'tag_list')                   AS tag_list,
       clean.text_field('is_image_or_video', e.payload -> 'is_image_or_video') AS is_image_or_video,
       clean.text_field('image_src', e.payload -> 'image_src')                 AS image_src,
       clean.save_location_path(clean.text_field('save_location', e.payload -> 'save_location'))
                                                                               AS save_location,
       e.category
FROM staging.pin_events AS e
WHERE e.ind IS NOT NULL
ORDER BY e.ind, e.kafka_timestamp DESC NULLS LAST, e.loaded_at DESC,
         e.kafka_topic DESC, e.kafka_partition DESC, e.kafka_offset DESC;

CREATE VIEW clean.geolocations AS
SELECT DISTINCT ON (e.ind)
       e.ind,
       e.country,
       ARRAY[clean.jsonb_to_double(e.payload -> 'latitude'),
             clean.jsonb_to_double(e.payload -> 'longitude')]                  AS coordinates,
       e."timestamp"
FROM staging.geo_events AS e
WHERE e.ind IS NOT NULL
ORDER BY e.ind, e.kafka_timestamp DESC NULLS LAST, e.loaded_at DESC,
         e.kafka_topic DESC, e.kafka_partition DESC, e.kafka_offset DESC;

CREATE VIEW clean.users AS
SELECT DISTINCT ON (e.ind)
       e.ind,
       -- NULL when either name is missing, as the concatenation of §6 gives.
       clean.text_field('first_name', e.payload -> 'first_name') || ' '
           || clean.text_field('last_name', e.payload -> 'last_name')          AS user_name,
       e.age,
       e.date_joined
FROM staging.user_events AS e
WHERE e.ind IS NOT NULL
ORDER BY e.ind, e.kafka_timestamp DESC NULLS LAST, e.loaded_at DESC,
         e.kafka_topic DESC, e.kafka_partition DESC, e.kafka_offset DESC;

COMMENT ON VIEW clean.pins IS
    'One row per pin (ind): the latest delivered message of staging.pin_events (newest kafka_timestamp, then newest load, then highest Kafka offset), cleaned per DESIGN §6';
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

COMMENT ON VIEW clean.geolocations IS
    'One row per pin (ind): where and when it was posted, from the latest delivered message of staging.geo_events, cleaned per DESIGN §6';
COMMENT ON COLUMN clean.geolocations.ind IS 'Pin id; joins clean.pins and clean.users';
COMMENT ON COLUMN clean.geolocations.country IS 'Country the pin was posted from; NULL when empty';
COMMENT ON COLUMN clean.geolocations.coordinates IS 'ARRAY[latitude, longitude] in degrees; an element is NULL when that value was missing or not a number';
COMMENT ON COLUMN clean.geolocations."timestamp" IS 'When the pin was posted (no time zone, as delivered); NULL when not "YYYY-MM-DD HH:MM:SS" naming a real time';

COMMENT ON VIEW clean.users IS
    'One row per pin (ind): the user who posted it, from the latest delivered message of staging.user_events, cleaned per DESIGN §6';
COMMENT ON COLUMN clean.users.ind IS 'Pin id; joins clean.pins and clean.geolocations';
COMMENT ON COLUMN clean.users.user_name IS 'first_name || '' '' || last_name; NULL when either is missing or empty';
COMMENT ON COLUMN clean.users.age IS 'Age in years; NULL when missing or not an integer';
COMMENT ON COLUMN clean.users.date_joined IS 'When the user joined (no time zone, as delivered); NULL when not "YYYY-MM-DD HH:MM:SS" naming a real time';
