-- The cleaning of a message costs less (#13), with the rules of DESIGN §6 unchanged. Profiled on
-- the staging triggers (auto_explain of the fold statement; EXPLAIN ANALYZE of each rule over
-- 60,000 and 240,000 payloads), the cleaning was most of the fold and of a rebuild, for three
-- reasons:
--   1. a rule whose body names its argument several times (follower_count 4 times,
--      text_to_timestamp 11, save_location_path 3) is inlined with the argument copied into
--      each place, and the argument was the whole extraction of the field from the payload
--      (payload -> key, its JSON type, its text, the placeholders): the field was extracted up
--      to 22 times per message;
--   2. clean.jsonb_to_double and clean.jsonb_to_integer passed an expensive CASE to a function
--      that names its argument several times, which PostgreSQL then does not inline: a SQL
--      function call per coordinate and per age;
--   3. the follower-count rule ran a regular expression where a parse of digits does.
-- Now each clean.*_fields function extracts every field once (a subquery that the planner
-- keeps: OFFSET 0), the ind as a bigint (the fold filters, sorts and joins on it), and applies
-- the rules to those values; the number rules convert a JSON
-- number straight from jsonb (as clean.jsonb_to_bigint already did), and the follower count is
-- parsed like the C++ streaming path parses it (events::parse_follower_count). pgTAP's cleaning
-- tests and the comparison with the C++ rules hold unchanged.

CREATE OR REPLACE FUNCTION clean.jsonb_to_integer(value jsonb)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE pg_catalog.jsonb_typeof(value)
    WHEN 'number' THEN clean.numeric_to_integer(value::numeric)
    WHEN 'string' THEN clean.numeric_to_integer(clean.text_to_numeric(value #>> '{}'))
END;

CREATE OR REPLACE FUNCTION clean.jsonb_to_double(value jsonb)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE pg_catalog.jsonb_typeof(value)
    WHEN 'number' THEN clean.numeric_to_double(value::numeric)
    WHEN 'string' THEN clean.numeric_to_double(clean.text_to_numeric(value #>> '{}'))
END;

CREATE OR REPLACE FUNCTION clean.follower_count(value text)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- A trailing k or M, then 1 to 12 ASCII digits (ltrim of the digits leaves nothing).
RETURN CASE
    WHEN right(value, 1) IN ('k', 'M') THEN
        CASE WHEN length(value) BETWEEN 2 AND 13 AND ltrim(left(value, -1), '0123456789') = ''
             THEN left(value, -1)::bigint * CASE right(value, 1) WHEN 'k' THEN 1000 ELSE 1000000 END
        END
    WHEN length(value) BETWEEN 1 AND 12 AND ltrim(value, '0123456789') = '' THEN value::bigint
END;

CREATE OR REPLACE FUNCTION clean.pin_fields(payload jsonb)
RETURNS TABLE (ind bigint, unique_id text, title text, description text, follower_count bigint,
               poster_name text, tag_list text, is_image_or_video text, image_src text,
               save_location text, category text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT f.ind, f.unique_id, f.title, f.description,
       clean.follower_count(f.follower_count), f.poster_name, f.tag_list, f.is_image_or_video,
       f.image_src, clean.save_location_path(f.save_location), f.category
FROM (SELECT clean.jsonb_to_bigint(payload -> 'index') AS ind,
             clean.text_field('unique_id', payload -> 'unique_id') AS unique_id,
             clean.text_field('title', payload -> 'title') AS title,
             clean.text_field('description', payload -> 'description') AS description,
             clean.text_field('follower_count', payload -> 'follower_count') AS follower_count,
             clean.text_field('poster_name', payload -> 'poster_name') AS poster_name,
             clean.text_field('tag_list', payload -> 'tag_list') AS tag_list,
             clean.text_field('is_image_or_video', payload -> 'is_image_or_video') AS is_image_or_video,
             clean.text_field('image_src', payload -> 'image_src') AS image_src,
             clean.text_field('save_location', payload -> 'save_location') AS save_location,
             clean.text_field('category', payload -> 'category') AS category
      OFFSET 0) AS f
$$;

CREATE OR REPLACE FUNCTION clean.geolocation_fields(payload jsonb)
RETURNS TABLE (ind bigint, country text, coordinates double precision[], "timestamp" timestamp)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT f.ind, f.country,
       ARRAY[clean.jsonb_to_double(f.latitude), clean.jsonb_to_double(f.longitude)],
       clean.text_to_timestamp(f.posted_at)
FROM (SELECT clean.jsonb_to_bigint(payload -> 'ind') AS ind,
             clean.text_field('country', payload -> 'country') AS country,
             payload -> 'latitude' AS latitude,
             payload -> 'longitude' AS longitude,
             clean.text_field('timestamp', payload -> 'timestamp') AS posted_at
      OFFSET 0) AS f
$$;

CREATE OR REPLACE FUNCTION clean.user_fields(payload jsonb)
RETURNS TABLE (ind bigint, user_name text, age integer, date_joined timestamp)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT f.ind,
       -- NULL when either name is missing, as the concatenation of §6 gives.
       f.first_name || ' ' || f.last_name,
       clean.jsonb_to_integer(f.age),
       clean.text_to_timestamp(f.date_joined)
FROM (SELECT clean.jsonb_to_bigint(payload -> 'ind') AS ind,
             clean.text_field('first_name', payload -> 'first_name') AS first_name,
             clean.text_field('last_name', payload -> 'last_name') AS last_name,
             payload -> 'age' AS age,
             clean.text_field('date_joined', payload -> 'date_joined') AS date_joined
      OFFSET 0) AS f
$$;

-- The subquery above runs once per message under a nested loop; a memoizing cache in front of
-- it (keyed by the whole payload, which never repeats) would only cost.
ALTER FUNCTION clean.apply_staging_events() SET enable_memoize = off;
ALTER FUNCTION analytics.rebuild_live_state() SET enable_memoize = off;
