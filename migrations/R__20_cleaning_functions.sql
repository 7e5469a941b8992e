-- Repeatable (pinpipe migrate applies it again whenever this file changes): the cleaning rules
-- of DESIGN §6 as SQL functions, the one definition that the live-state fold (R__40) applies to
-- every message. The C++ streaming path implements the same rules; the COMMENT of each function
-- is its specification. EXECUTE stays with PUBLIC (PostgreSQL's default for functions): the
-- rules are pure and BI users may call them.
--
-- Shared contract:
--   * never raise, whatever the input: garbage becomes NULL, so that one dirty message cannot
--     fail the statement that writes staging;
--   * IMMUTABLE and PARALLEL SAFE, hence no exception blocks: every cast is preceded by a check
--     that makes it infallible, and CASE fixes the order of evaluation;
--   * LANGUAGE sql with a standard body (RETURN ...) and not STRICT: the planner inlines them into
--     the calling query (no per-row call), and the body is bound when created, independent of the
--     caller's search_path. Inlining substitutes the argument at every reference, so bodies refer
--     to their arguments as few times as they can.
-- JSON typing: a field that DESIGN §4 types as text takes JSON strings only; a field typed as a
-- number takes JSON numbers and strings spelling a decimal number. Any other JSON value (object,
-- array, boolean, null, wrong-typed scalar) and a missing field give NULL.
-- Functions are in dependency order: each calls only functions above it.

CREATE OR REPLACE FUNCTION clean.text_to_numeric(value text)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- The length cap keeps numeric input far from its limits; 100 characters spell any real number.
RETURN CASE
    WHEN length(value) > 100 THEN NULL
    WHEN value ~ '^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$' THEN value::numeric
END;
COMMENT ON FUNCTION clean.text_to_numeric(text) IS
    'A decimal number literal as numeric: optional sign, digits with an optional fraction, optional exponent of at most 3 digits, at most 100 characters, no spaces ("7", "-0.5", "1e3"); NULL for anything else';

CREATE OR REPLACE FUNCTION clean.jsonb_to_numeric(value jsonb)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE pg_catalog.jsonb_typeof(value)
    WHEN 'number' THEN value::numeric
    WHEN 'string' THEN clean.text_to_numeric(value #>> '{}')
END;
COMMENT ON FUNCTION clean.jsonb_to_numeric(jsonb) IS
    'A JSON number, or a JSON string accepted by clean.text_to_numeric, as numeric; NULL for any other JSON value and for SQL NULL';

CREATE OR REPLACE FUNCTION clean.numeric_to_bigint(value numeric)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN scale(value) = 0 AND abs(value) <= 9223372036854775807 THEN value::bigint END;
COMMENT ON FUNCTION clean.numeric_to_bigint(numeric) IS
    'A numeric written without fraction digits (7, not 7.0 or 7.5) of magnitude at most 9223372036854775807, as bigint; NULL otherwise';

CREATE OR REPLACE FUNCTION clean.numeric_to_integer(value numeric)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN scale(value) = 0 AND abs(value) <= 2147483647 THEN value::integer END;
COMMENT ON FUNCTION clean.numeric_to_integer(numeric) IS
    'A numeric written without fraction digits (7, not 7.0 or 7.5) of magnitude at most 2147483647, as integer; NULL otherwise';

CREATE OR REPLACE FUNCTION clean.numeric_to_double(value numeric)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- The conversion to float8 raises on overflow and underflow.
RETURN CASE
    WHEN abs(value) > 1e300 THEN NULL
    WHEN abs(value) < 1e-300 THEN 0
    ELSE value::double precision
END;
COMMENT ON FUNCTION clean.numeric_to_double(numeric) IS
    'A numeric as double precision: NULL when its magnitude exceeds 1e300, 0 when it is below 1e-300';

CREATE OR REPLACE FUNCTION clean.jsonb_to_bigint(value jsonb)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE pg_catalog.jsonb_typeof(value)
    WHEN 'number' THEN clean.numeric_to_bigint(value::numeric)
    WHEN 'string' THEN clean.numeric_to_bigint(clean.text_to_numeric(value #>> '{}'))
END;
COMMENT ON FUNCTION clean.jsonb_to_bigint(jsonb) IS
    'A JSON number or numeric string accepted by clean.jsonb_to_numeric and clean.numeric_to_bigint (7 or "7"; not 7.5, 7.0, "abc" or true) as bigint; NULL otherwise. Gives ind from a payload''s index or ind';

CREATE OR REPLACE FUNCTION clean.jsonb_to_integer(value jsonb)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE pg_catalog.jsonb_typeof(value)
    WHEN 'number' THEN clean.numeric_to_integer(value::numeric)
    WHEN 'string' THEN clean.numeric_to_integer(clean.text_to_numeric(value #>> '{}'))
END;
COMMENT ON FUNCTION clean.jsonb_to_integer(jsonb) IS
    'A JSON number or numeric string accepted by clean.jsonb_to_numeric and clean.numeric_to_integer (7 or "7"; not 7.5, 7.0, "abc" or true) as integer; NULL otherwise';

CREATE OR REPLACE FUNCTION clean.jsonb_to_double(value jsonb)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE pg_catalog.jsonb_typeof(value)
    WHEN 'number' THEN clean.numeric_to_double(value::numeric)
    WHEN 'string' THEN clean.numeric_to_double(clean.text_to_numeric(value #>> '{}'))
END;
COMMENT ON FUNCTION clean.jsonb_to_double(jsonb) IS
    'A JSON number or numeric string accepted by clean.jsonb_to_numeric (1.5, "-3e2") as double precision, within the range of clean.numeric_to_double; NULL otherwise';

CREATE OR REPLACE FUNCTION clean.placeholder_to_null(field text, value text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- The placeholders of DESIGN §4, per field (the same words in another field are data). With a
-- constant field the CASEs fold to constants, and NULLIF reads value once.
RETURN NULLIF(NULLIF(NULLIF(value, ''),
                     CASE field
                         WHEN 'title'          THEN 'No Title Data Available'
                         WHEN 'description'    THEN 'No description available Story format'
                         WHEN 'follower_count' THEN 'User Info Error'
                         WHEN 'poster_name'    THEN 'User Info Error'
                         WHEN 'tag_list'       THEN 'N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e'
                         WHEN 'image_src'      THEN 'Image src error.'
                     END),
              CASE field WHEN 'description' THEN 'No description available' END);
COMMENT ON FUNCTION clean.placeholder_to_null(text, text) IS
    'value, or NULL when it is empty or a placeholder of that field (DESIGN §4): title "No Title Data Available"; description "No description available Story format" and "No description available"; follower_count and poster_name "User Info Error"; tag_list "N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e"; image_src "Image src error."';

CREATE OR REPLACE FUNCTION clean.jsonb_to_text(value jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN pg_catalog.jsonb_typeof(value) = 'string' THEN value #>> '{}' END;
COMMENT ON FUNCTION clean.jsonb_to_text(jsonb) IS
    'The text of a JSON string; NULL for any other JSON value (a number where text is expected is a wrong type) and for SQL NULL';

CREATE OR REPLACE FUNCTION clean.text_field(field text, value jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN clean.placeholder_to_null(field, clean.jsonb_to_text(value));
COMMENT ON FUNCTION clean.text_field(text, jsonb) IS
    'A text field of an event (value = payload -> field) cleaned: NULL when missing, not a JSON string, empty or a placeholder of that field; the string otherwise';

CREATE OR REPLACE FUNCTION clean.string_field(payload jsonb, field text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN pg_catalog.jsonb_typeof(payload -> field) = 'string'
            THEN clean.placeholder_to_null(field, payload ->> field) END;
COMMENT ON FUNCTION clean.string_field(jsonb, text) IS
    'A text field of a payload cleaned: NULL when missing, not a JSON string, empty or a placeholder of that field (clean.placeholder_to_null); the string otherwise. Same as clean.text_field(field, payload -> field)';

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
COMMENT ON FUNCTION clean.follower_count(text) IS
    'A follower count as bigint: 1 to 12 digits as is ("985" -> 985, "0" -> 0), followed by k times 1000 ("7k" -> 7000), by M times 1000000 ("1M" -> 1000000); NULL for anything else ("12.5k", "7K", " 7", "1B", "abc", "")';

CREATE OR REPLACE FUNCTION clean.save_location_path(value text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN NULLIF(CASE WHEN starts_with(value, 'Local save in ') THEN substr(value, 15) ELSE value END, '');
COMMENT ON FUNCTION clean.save_location_path(text) IS
    'The path of a save location: "Local save in /data/x" -> "/data/x"; a value without that prefix is kept as is; empty -> NULL';

CREATE OR REPLACE FUNCTION clean.text_to_timestamp(value text)
RETURNS timestamp
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- The pattern admits only valid months, days of month (29 February aside) and times, so that
-- make_timestamp (immutable, unlike the text cast) cannot raise once leap years are checked.
RETURN CASE
    WHEN value !~ '^[0-9]{4}-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31|02-29) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$'
        THEN NULL
    WHEN starts_with(value, '0000') THEN NULL
    WHEN substr(value, 6, 5) = '02-29'
         AND NOT (substr(value, 1, 4)::integer % 4 = 0
                  AND (substr(value, 1, 4)::integer % 100 <> 0 OR substr(value, 1, 4)::integer % 400 = 0))
        THEN NULL
    ELSE make_timestamp(substr(value, 1, 4)::integer, substr(value, 6, 2)::integer,
                        substr(value, 9, 2)::integer, substr(value, 12, 2)::integer,
                        substr(value, 15, 2)::integer, substr(value, 18, 2)::double precision)
END;
COMMENT ON FUNCTION clean.text_to_timestamp(text) IS
    'Text "YYYY-MM-DD HH:MM:SS" (a real calendar date from year 0001, 24-hour clock, nothing else) as timestamp without time zone; NULL when malformed (other layouts, fractions of a second, 2021-02-29, 24:00:00)';

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

