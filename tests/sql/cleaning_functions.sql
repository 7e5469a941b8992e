-- The cleaning rules of DESIGN §6, one function at a time, on hand-written values.
BEGIN;
SELECT plan(80);

-- Placeholders become NULL, per field; the same words in another field are data.
SELECT is(clean.placeholder_to_null('title', 'No Title Data Available'), NULL, 'title placeholder');
SELECT is(clean.placeholder_to_null('description', 'No description available Story format'), NULL, 'description story placeholder');
SELECT is(clean.placeholder_to_null('description', 'No description available'), NULL, 'description placeholder');
SELECT is(clean.placeholder_to_null('follower_count', 'User Info Error'), NULL, 'follower_count placeholder');
SELECT is(clean.placeholder_to_null('poster_name', 'User Info Error'), NULL, 'poster_name placeholder');
SELECT is(clean.placeholder_to_null('tag_list', 'N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e'), NULL, 'tag_list placeholder');
SELECT is(clean.placeholder_to_null('image_src', 'Image src error.'), NULL, 'image_src placeholder');
SELECT is(clean.placeholder_to_null('category', ''), NULL, 'empty string is NULL in any field');
SELECT is(clean.placeholder_to_null('title', NULL), NULL, 'NULL stays NULL');
SELECT is(clean.placeholder_to_null('title', 'User Info Error'), 'User Info Error', 'a placeholder of another field is data');
SELECT is(clean.placeholder_to_null('description', 'No description available at all'), 'No description available at all', 'only the exact placeholder is NULL');
SELECT is(clean.placeholder_to_null('title', ' '), ' ', 'a blank is not empty');

-- Text fields out of JSON: strings only.
SELECT is(clean.text_field('title', '"Art"'::jsonb), 'Art', 'a JSON string');
SELECT is(clean.text_field('title', '"No Title Data Available"'::jsonb), NULL, 'a JSON placeholder');
SELECT is(clean.text_field('title', '7'::jsonb), NULL, 'a number where text is expected');
SELECT is(clean.text_field('title', 'null'::jsonb), NULL, 'JSON null');
SELECT is(clean.text_field('title', NULL), NULL, 'missing field');
SELECT is(clean.text_field('title', '"a\"b\\\\c"'::jsonb), 'a"b\\c', 'escapes are unescaped');

-- The same rule read from the whole payload (what the fold uses): the field's JSON type first.
SELECT is(clean.string_field('{"title": "Art"}'::jsonb, 'title'), 'Art', 'string_field: a JSON string');
SELECT is(clean.string_field('{"title": "No Title Data Available"}'::jsonb, 'title'), NULL, 'string_field: a placeholder');
SELECT is(clean.string_field('{"title": ""}'::jsonb, 'title'), NULL, 'string_field: empty');
SELECT is(clean.string_field('{"title": 7}'::jsonb, 'title'), NULL, 'string_field: a number where text is expected');
SELECT is(clean.string_field('{"title": null}'::jsonb, 'title'), NULL, 'string_field: JSON null');
SELECT is(clean.string_field('{"other": "Art"}'::jsonb, 'title'), NULL, 'string_field: missing field');
SELECT is(clean.string_field('["Art"]'::jsonb, 'title'), NULL, 'string_field: a payload that is not an object');
SELECT is(clean.string_field('{"title": "a\"b\\\\c\u00e9"}'::jsonb, 'title'), 'a"b\\cé', 'string_field: escapes are unescaped');

-- Follower counts.
SELECT is(clean.follower_count('7k'), 7000::bigint, '"7k" -> 7000');
SELECT is(clean.follower_count('1M'), 1000000::bigint, '"1M" -> 1000000');
SELECT is(clean.follower_count('985'), 985::bigint, 'digits as is');
SELECT is(clean.follower_count('0'), 0::bigint, '"0" -> 0');
SELECT is(clean.follower_count('0k'), 0::bigint, '"0k" -> 0');
SELECT is(clean.follower_count('999999999999M'), 999999999999000000::bigint, '12 digits times a million fits');
SELECT is(clean.follower_count(''), NULL, 'empty -> NULL');
SELECT is(clean.follower_count('12.5k'), NULL, '"12.5k" -> NULL');
SELECT is(clean.follower_count('abc'), NULL, '"abc" -> NULL');
SELECT is(clean.follower_count('7K'), NULL, '"7K" (capital) -> NULL');
SELECT is(clean.follower_count('k'), NULL, '"k" alone -> NULL');
SELECT is(clean.follower_count(' 7'), NULL, 'leading blank -> NULL');
SELECT is(clean.follower_count('-5'), NULL, 'negative -> NULL');
SELECT is(clean.follower_count('1B'), NULL, 'unknown suffix -> NULL');
SELECT is(clean.follower_count('1234567890123'), NULL, '13 digits -> NULL');
SELECT is(clean.follower_count('User Info Error'), NULL, 'the placeholder itself -> NULL');
SELECT is(clean.follower_count(NULL), NULL, 'NULL -> NULL');

-- Save locations.
SELECT is(clean.save_location_path('Local save in /data/mens-fashion'), '/data/mens-fashion', 'prefix dropped');
SELECT is(clean.save_location_path('/data/art'), '/data/art', 'no prefix: kept');
SELECT is(clean.save_location_path('Local save in '), NULL, 'prefix only -> NULL');
SELECT is(clean.save_location_path(''), NULL, 'empty -> NULL');

-- Timestamps.
SELECT is(clean.text_to_timestamp('2018-01-01 00:00:00'), '2018-01-01 00:00:00'::timestamp, 'first second of a year');
SELECT is(clean.text_to_timestamp('2022-12-31 23:59:59'), '2022-12-31 23:59:59'::timestamp, 'last second of a year');
SELECT is(clean.text_to_timestamp('2020-02-29 12:00:00'), '2020-02-29 12:00:00'::timestamp, 'leap day of a leap year');
SELECT is(clean.text_to_timestamp('2021-02-29 12:00:00'), NULL, 'leap day of another year');
SELECT is(clean.text_to_timestamp('1900-02-29 12:00:00'), NULL, '1900 is not a leap year');
SELECT is(clean.text_to_timestamp('2000-02-29 12:00:00'), '2000-02-29 12:00:00'::timestamp, '2000 is');
SELECT is(clean.text_to_timestamp('2021-04-31 12:00:00'), NULL, '31 April');
SELECT is(clean.text_to_timestamp('2021-01-01 24:00:00'), NULL, 'hour 24');
SELECT is(clean.text_to_timestamp('2021-01-01T10:00:00'), NULL, 'ISO T separator');
SELECT is(clean.text_to_timestamp('2021-01-01 10:00:00.5'), NULL, 'fraction of a second');
SELECT is(clean.text_to_timestamp('0000-01-01 10:00:00'), NULL, 'year 0');
SELECT is(clean.text_to_timestamp(''), NULL, 'empty');

-- Age groups, bounds inclusive.
SELECT is(clean.age_group(17), NULL, '17: no group');
SELECT is(clean.age_group(18), '18-24', '18');
SELECT is(clean.age_group(24), '18-24', '24');
SELECT is(clean.age_group(25), '25-35', '25');
SELECT is(clean.age_group(35), '25-35', '35');
SELECT is(clean.age_group(36), '36-50', '36');
SELECT is(clean.age_group(50), '36-50', '50');
SELECT is(clean.age_group(51), '50+', '51');
SELECT is(clean.age_group(NULL), NULL, 'NULL age');

-- Numbers out of JSON.
SELECT is(clean.jsonb_to_bigint('7'::jsonb), 7::bigint, 'JSON integer');
SELECT is(clean.jsonb_to_bigint('"7"'::jsonb), 7::bigint, 'numeric string');
SELECT is(clean.jsonb_to_bigint('7.5'::jsonb), NULL, 'fraction');
SELECT is(clean.jsonb_to_bigint('7.0'::jsonb), NULL, 'written with a fraction');
SELECT is(clean.jsonb_to_bigint('true'::jsonb), NULL, 'boolean');
SELECT is(clean.jsonb_to_bigint('99999999999999999999'::jsonb), NULL, 'beyond bigint');
SELECT is(clean.jsonb_to_integer('"abc"'::jsonb), NULL, 'text');
SELECT is(clean.jsonb_to_integer('3000000000'::jsonb), NULL, 'beyond integer');
SELECT is(clean.jsonb_to_double('"-3e2"'::jsonb), -300::double precision, 'numeric string with exponent');
SELECT is(clean.jsonb_to_double('1e400'::jsonb), NULL, 'beyond double precision');

-- Every cleaning function is IMMUTABLE and PARALLEL SAFE (usable in indexes, generated columns
-- and parallel plans); the trigger functions that keep clean.* current are not cleaning rules.
SELECT is((SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'clean'::regnamespace
           AND prorettype <> 'trigger'::regtype
           AND (provolatile <> 'i' OR proparallel <> 's')), 0, 'all clean.* functions are IMMUTABLE and PARALLEL SAFE');
SELECT is((SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'clean'::regnamespace
           AND obj_description(oid, 'pg_proc') IS NULL), 0, 'all clean.* functions carry a comment');

SELECT * FROM finish();
ROLLBACK;
