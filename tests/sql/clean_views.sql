-- clean.pins, clean.geolocations, clean.users (tables kept by the staging triggers) on
-- hand-written staging rows: every rule of §6, the latest message by Kafka coordinates wins, and
-- the shape (columns, types, comments) a BI user relies on.
BEGIN;
SELECT plan(33);

-- Staging rows: (offset, Kafka timestamp, payload). Pin 1 is delivered three times: the newest
-- Kafka timestamp wins; a message without a timestamp loses. Pin 2 twice with one timestamp: the
-- higher offset wins. Pin 3 is all placeholders.
INSERT INTO staging.pin_events (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, kafka_key, payload)
VALUES
  ('p.pin', 0, 0, '2024-01-01 10:00:00+00', '\x31',
   '{"index": 1, "unique_id": "u-old", "title": "Old", "description": "d", "poster_name": "Ann", "follower_count": "5",
     "tag_list": "a,b", "is_image_or_video": "image", "image_src": "https://x/1.jpg", "downloaded": 1,
     "save_location": "Local save in /data/art", "category": "art"}'),
  ('p.pin', 0, 1, '2024-01-01 11:00:00+00', '\x31',
   '{"index": 1, "unique_id": "u-new", "title": "New", "description": "d", "poster_name": "Ann", "follower_count": "7k",
     "tag_list": "a,b", "is_image_or_video": "image", "image_src": "https://x/1.jpg", "downloaded": 1,
     "save_location": "Local save in /data/art", "category": "art"}'),
  ('p.pin', 0, 2, NULL, '\x31',
   '{"index": 1, "unique_id": "u-no-timestamp", "title": "Stale", "follower_count": "1", "category": "art"}'),
  ('p.pin', 1, 0, '2024-01-01 10:00:00+00', '\x32',
   '{"index": 2, "unique_id": "u-first", "follower_count": "1M", "category": "travel", "save_location": "/data/travel"}'),
  ('p.pin', 1, 1, '2024-01-01 10:00:00+00', '\x32',
   '{"index": 2, "unique_id": "u-second", "follower_count": "1M", "category": "travel", "save_location": "/data/travel"}'),
  ('p.pin', 2, 0, '2024-01-01 10:00:00+00', '\x33',
   '{"index": 3, "unique_id": "", "title": "No Title Data Available", "description": "No description available Story format",
     "poster_name": "User Info Error", "follower_count": "User Info Error", "tag_list": "N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e",
     "is_image_or_video": "multi-video(story page format)", "image_src": "Image src error.", "downloaded": 0,
     "save_location": "", "category": ""}'),
  ('p.pin', 2, 1, '2024-01-01 10:00:00+00', '\x34',
   '{"index": 4, "description": "No description available", "follower_count": "12.5k", "category": "diy"}'),
  ('p.pin', 2, 2, '2024-01-01 10:00:00+00', '\x35', '{"index": 5, "follower_count": "0"}'),
  ('p.pin', 2, 3, '2024-01-01 10:00:00+00', '\x36', '{"index": 6, "follower_count": ""}'),
  ('p.pin', 2, 4, '2024-01-01 10:00:00+00', '\x37', '{"index": 7, "follower_count": "abc"}'),
  ('p.pin', 2, 5, '2024-01-01 10:00:00+00', NULL, '{"index": "eight"}');

SELECT is((SELECT array_agg(ind ORDER BY ind) FROM clean.pins), ARRAY[1, 2, 3, 4, 5, 6, 7]::bigint[],
          'one row per ind; a row without an integer ind is left out');
SELECT is((SELECT unique_id FROM clean.pins WHERE ind = 1), 'u-new', 'the newest Kafka timestamp wins; no timestamp loses');
SELECT is((SELECT follower_count FROM clean.pins WHERE ind = 1), 7000::bigint, 'the winner''s fields, "7k" -> 7000');
SELECT is((SELECT unique_id FROM clean.pins WHERE ind = 2), 'u-second', 'equal timestamps: the higher offset wins');
SELECT is((SELECT follower_count FROM clean.pins WHERE ind = 2), 1000000::bigint, '"1M" -> 1000000');
SELECT is((SELECT save_location FROM clean.pins WHERE ind = 1), '/data/art', 'save_location keeps the path');
SELECT is((SELECT save_location FROM clean.pins WHERE ind = 2), '/data/travel', 'a bare path stays');
SELECT is((SELECT ROW(unique_id, title, description, follower_count, poster_name, tag_list, image_src, save_location, category)::text
           FROM clean.pins WHERE ind = 3), ROW(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::text,
          'every placeholder and empty string is NULL');
SELECT is((SELECT is_image_or_video FROM clean.pins WHERE ind = 3), 'multi-video(story page format)', 'story kind kept');
SELECT is((SELECT description FROM clean.pins WHERE ind = 4), NULL, 'short description placeholder is NULL');
SELECT is((SELECT follower_count FROM clean.pins WHERE ind = 4), NULL, '"12.5k" -> NULL');
SELECT is((SELECT follower_count FROM clean.pins WHERE ind = 5), 0::bigint, '"0" -> 0');
SELECT is((SELECT follower_count FROM clean.pins WHERE ind = 6), NULL, '"" -> NULL');
SELECT is((SELECT follower_count FROM clean.pins WHERE ind = 7), NULL, '"abc" -> NULL');

-- Equal Kafka timestamps: the higher offset wins, whatever the load order (loaded_at does not count).
INSERT INTO staging.geo_events (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, payload, loaded_at)
VALUES
  ('p.geo', 0, 5, '2024-01-01 10:00:00+00', '{"ind": 1, "country": "Early", "latitude": 1.5, "longitude": -2, "timestamp": "2018-01-01 00:00:00"}', '2024-01-02'),
  ('p.geo', 0, 4, '2024-01-01 10:00:00+00', '{"ind": 1, "country": "Late", "latitude": 1.5, "longitude": -2, "timestamp": "2018-01-01 00:00:00"}', '2024-01-03'),
  ('p.geo', 0, 6, '2024-01-01 10:00:00+00', '{"ind": 2, "country": "", "latitude": "x", "longitude": "3.25", "timestamp": "2021-02-29 00:00:00"}', '2024-01-02');
SELECT is((SELECT country FROM clean.geolocations WHERE ind = 1), 'Early', 'equal timestamps: the higher offset wins, not the later load');
SELECT is((SELECT coordinates FROM clean.geolocations WHERE ind = 1), ARRAY[1.5, -2]::double precision[], 'coordinates = [latitude, longitude]');
SELECT is((SELECT "timestamp" FROM clean.geolocations WHERE ind = 1), '2018-01-01 00:00:00'::timestamp, 'timestamp parsed');
SELECT is((SELECT coordinates FROM clean.geolocations WHERE ind = 2), ARRAY[NULL, 3.25]::double precision[], 'a non-number coordinate is NULL');
SELECT is((SELECT ROW(country, "timestamp")::text FROM clean.geolocations WHERE ind = 2), ROW(NULL, NULL)::text,
          'empty country and impossible date are NULL');

INSERT INTO staging.user_events (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, payload)
VALUES
  ('p.user', 0, 0, '2024-01-01 10:00:00+00', '{"ind": 1, "first_name": "Ann", "last_name": "Lee", "age": 18, "date_joined": "2015-01-01 00:00:00"}'),
  ('p.user', 0, 1, '2024-01-01 10:00:00+00', '{"ind": 2, "first_name": "Bo", "last_name": "", "age": "abc", "date_joined": "2020-12-31 23:59:59"}');
SELECT is((SELECT user_name FROM clean.users WHERE ind = 1), 'Ann Lee', 'user_name = first_name || '' '' || last_name');
SELECT is((SELECT age FROM clean.users WHERE ind = 1), 18, 'age');
SELECT is((SELECT date_joined FROM clean.users WHERE ind = 1), '2015-01-01 00:00:00'::timestamp, 'date_joined parsed');
SELECT is((SELECT ROW(user_name, age)::text FROM clean.users WHERE ind = 2), ROW(NULL, NULL)::text,
          'a missing name part gives no user_name; a non-integer age is NULL');

-- Shape: columns in the order of §6, with real types.
SELECT is((SELECT array_agg(attname::text || ':' || format_type(atttypid, atttypmod) ORDER BY attnum)
           FROM pg_attribute WHERE attrelid = 'clean.pins'::regclass AND attnum > 0),
          ARRAY['ind:bigint', 'unique_id:text', 'title:text', 'description:text', 'follower_count:bigint',
                'poster_name:text', 'tag_list:text', 'is_image_or_video:text', 'image_src:text',
                'save_location:text', 'category:text', 'kafka_timestamp:timestamp with time zone', 'kafka_partition:integer',
                'kafka_offset:bigint', 'kafka_topic:text'], 'clean.pins columns: §6, then the winning message''s coordinates');
SELECT is((SELECT array_agg(attname::text || ':' || format_type(atttypid, atttypmod) ORDER BY attnum)
           FROM pg_attribute WHERE attrelid = 'clean.geolocations'::regclass AND attnum > 0),
          ARRAY['ind:bigint', 'country:text', 'coordinates:double precision[]', 'timestamp:timestamp without time zone',
                'kafka_timestamp:timestamp with time zone', 'kafka_partition:integer', 'kafka_offset:bigint', 'kafka_topic:text'],
          'clean.geolocations columns');
SELECT is((SELECT array_agg(attname::text || ':' || format_type(atttypid, atttypmod) ORDER BY attnum)
           FROM pg_attribute WHERE attrelid = 'clean.users'::regclass AND attnum > 0),
          ARRAY['ind:bigint', 'user_name:text', 'age:integer', 'date_joined:timestamp without time zone',
                'kafka_timestamp:timestamp with time zone', 'kafka_partition:integer', 'kafka_offset:bigint', 'kafka_topic:text'],
          'clean.users columns');

-- Comments on the schema, every table and every column.
SELECT isnt(obj_description('clean'::regnamespace, 'pg_namespace'), NULL, 'schema clean has a comment');
SELECT is((SELECT count(*)::int FROM pg_class WHERE relnamespace = 'clean'::regnamespace AND relkind = 'r'), 3, 'three clean tables');
SELECT is((SELECT count(*)::int FROM pg_class WHERE relnamespace = 'clean'::regnamespace AND relkind = 'r'
           AND obj_description(oid, 'pg_class') IS NULL), 0, 'every clean table has a comment');
SELECT is((SELECT count(*)::int FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
           WHERE c.relnamespace = 'clean'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
             AND col_description(c.oid, a.attnum) IS NULL), 0, 'every clean column has a comment');

-- A message older than the stored winner, delivered later, changes nothing.
INSERT INTO staging.pin_events (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, payload)
VALUES ('p.pin', 0, 3, '2024-01-01 09:00:00+00', '{"index": 1, "unique_id": "u-late-but-old", "category": "art"}');
SELECT is((SELECT unique_id FROM clean.pins WHERE ind = 1), 'u-new', 'an older message delivered later loses');

-- The triggers never raise on dirty payloads: a payload of the wrong shape everywhere.
INSERT INTO staging.pin_events (kafka_topic, kafka_partition, kafka_offset, payload)
VALUES ('p.pin', 9, 0, '{"index": 9, "title": [1], "follower_count": {"a": 1}, "category": 5, "save_location": true}');
SELECT lives_ok('SELECT * FROM clean.pins', 'wrong JSON types do not break clean.pins');
SELECT is((SELECT ROW(title, follower_count, category, save_location)::text FROM clean.pins WHERE ind = 9),
          ROW(NULL, NULL, NULL, NULL)::text, 'wrong JSON types are NULL');

SELECT * FROM finish();
ROLLBACK;
