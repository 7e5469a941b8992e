-- The cleaning of a relation of staging rows costs less (#13), with the rules of DESIGN §6
-- unchanged. Since 0045 each clean.*_fields(payload) read every field of a payload once, in a
-- subquery that the planner keeps (OFFSET 0) so that a rule naming its argument several times
-- does not read the field again for each mention. Called per message (CROSS JOIN LATERAL), that
-- subquery was a plan node started again for every message, and each text field was read twice
-- as jsonb (for its JSON type, then for its text), a copy of the value each time.
-- Now analytics.latest_messages_sql reads the fields of every message in one subquery over the
-- whole relation, and a text field is read as text once its JSON type is known to be a string
-- (clean.string_field, ->> rather than a jsonb copy and #>>); the rules apply to those fields
-- above it, as before. The clean.*_fields functions had no other caller and go: the per-kind
-- lists below are now the one place that maps a message to its clean row.
--
-- Measured with `COMPARE_PINPIPE=<a build without this file> RUNS=5 bench/fold_cost.sh` (ten
-- 20,000-row \copy's of generated pins into staging.pin_events, the triggers firing): server
-- CPU 6.80 s per 200,000 pins (runs 6.66-7.36) against 7.50 s (6.79-8.05) before, medians.
-- pgTAP's cleaning tests, the live-state tests and the comparison of clean.*
-- with the C++ rules hold unchanged.

CREATE FUNCTION clean.string_field(payload jsonb, field text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN pg_catalog.jsonb_typeof(payload -> field) = 'string'
            THEN clean.placeholder_to_null(field, payload ->> field) END;
COMMENT ON FUNCTION clean.string_field(jsonb, text) IS
    'A text field of a payload cleaned: NULL when missing, not a JSON string, empty or a placeholder of that field (clean.placeholder_to_null); the string otherwise. Same as clean.text_field(field, payload -> field)';

-- The latest message per ind of a relation of staging rows of one kind, cleaned: the columns of
-- the kind's clean table in order, sorted by ind. `fields` are read from each payload once (the
-- subquery, kept by OFFSET 0, makes them columns); `columns` apply the rules to them.
CREATE OR REPLACE FUNCTION analytics.latest_messages_sql(kind text, source text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    fields text;
    columns text;
BEGIN
    CASE kind
        WHEN 'pin' THEN
            fields := $q$clean.jsonb_to_bigint(e.payload -> 'index') AS ind,
                   clean.string_field(e.payload, 'unique_id') AS unique_id,
                   clean.string_field(e.payload, 'title') AS title,
                   clean.string_field(e.payload, 'description') AS description,
                   clean.string_field(e.payload, 'follower_count') AS follower_count,
                   clean.string_field(e.payload, 'poster_name') AS poster_name,
                   clean.string_field(e.payload, 'tag_list') AS tag_list,
                   clean.string_field(e.payload, 'is_image_or_video') AS is_image_or_video,
                   clean.string_field(e.payload, 'image_src') AS image_src,
                   clean.string_field(e.payload, 'save_location') AS save_location,
                   clean.string_field(e.payload, 'category') AS category$q$;
            columns := $q$f.ind, f.unique_id, f.title, f.description,
           clean.follower_count(f.follower_count) AS follower_count, f.poster_name, f.tag_list,
           f.is_image_or_video, f.image_src, clean.save_location_path(f.save_location) AS save_location,
           f.category$q$;
        WHEN 'geo' THEN
            fields := $q$clean.jsonb_to_bigint(e.payload -> 'ind') AS ind,
                   clean.string_field(e.payload, 'country') AS country,
                   e.payload -> 'latitude' AS latitude,
                   e.payload -> 'longitude' AS longitude,
                   clean.string_field(e.payload, 'timestamp') AS posted_at$q$;
            columns := $q$f.ind, f.country,
           ARRAY[clean.jsonb_to_double(f.latitude), clean.jsonb_to_double(f.longitude)] AS coordinates,
           clean.text_to_timestamp(f.posted_at) AS "timestamp"$q$;
        WHEN 'user' THEN
            fields := $q$clean.jsonb_to_bigint(e.payload -> 'ind') AS ind,
                   clean.string_field(e.payload, 'first_name') AS first_name,
                   clean.string_field(e.payload, 'last_name') AS last_name,
                   e.payload -> 'age' AS age,
                   clean.string_field(e.payload, 'date_joined') AS date_joined$q$;
            -- NULL when either name is missing, as the concatenation of §6 gives.
            columns := $q$f.ind, f.first_name || ' ' || f.last_name AS user_name,
           clean.jsonb_to_integer(f.age) AS age, clean.text_to_timestamp(f.date_joined) AS date_joined$q$;
        ELSE
            RAISE EXCEPTION 'unknown event kind "%"', kind USING HINT = 'use pin, geo or user';
    END CASE;
    RETURN format($f$
    SELECT DISTINCT ON (f.ind) %3$s,
           f.kafka_timestamp, f.kafka_partition, f.kafka_offset, f.kafka_topic
    FROM (SELECT %2$s,
                 e.kafka_timestamp, e.kafka_partition, e.kafka_offset, e.kafka_topic
          FROM %1$s AS e
          OFFSET 0) AS f
    WHERE f.ind IS NOT NULL
    ORDER BY f.ind, coalesce(f.kafka_timestamp, '-infinity') DESC, f.kafka_partition DESC,
             f.kafka_offset DESC, f.kafka_topic DESC$f$, source, fields, columns);
END
$$;

DROP FUNCTION clean.pin_fields(jsonb), clean.geolocation_fields(jsonb), clean.user_fields(jsonb);
