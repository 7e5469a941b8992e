// EventGenerator: realistic pin/geo/user events modelled on the Pinterest data set, with the
// placeholders, boundary values and re-sends that the cleaning rules and analytics must handle.
#include "emulate/generator.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <iterator>
#include <string_view>

#include "emulate/categories.hpp"
#include "emulate/countries.hpp"
#include "emulate/json_writer.hpp"
#include "emulate/names.hpp"
#include "emulate/rng.hpp"
#include "util/civil_time.hpp"
#include "util/hex.hpp"

namespace pinpipe::emulate {
namespace {

// Salts keep the re-send stream and the poster universe independent of the event streams.
constexpr std::uint64_t kStreamSalt = 0x5eed5eed5eed5eedULL;
constexpr std::uint64_t kPosterUniverseSalt = 0x9057e25a11ce0000ULL;

// ---------------------------------------------------------------------------------------------
// Calendar: times are seconds since 1970-01-01 UTC, dates from util::civil_time (integer
// arithmetic, no time zone, no libc), so timestamps are identical everywhere.

constexpr std::int64_t unix_seconds(int year, unsigned month, unsigned day) {
    return util::days_from_civil({year, month, day}) * util::kSecondsPerDay;
}

// date_joined spans 2015–2020; a pin is posted after its user joined, up to the end of 2022, so
// geolocation years span 2015–2022 and lean towards recent years, as real activity does.
constexpr std::int64_t kJoinedFrom = unix_seconds(2015, 1, 1);
constexpr std::int64_t kJoinedUntil = unix_seconds(2021, 1, 1);  // exclusive
constexpr std::int64_t kPostedUntil = unix_seconds(2023, 1, 1);  // exclusive

// for_distinct draws from a 64-bit mask; append_hashtag builds tags in a 64-byte buffer.
constexpr std::size_t kMaxDistinctPicks = 64;
constexpr std::size_t kMaxTagBytes = 60;

constexpr bool tables_fit_limits() {
    for (const CategoryContent& category : kCategories) {
        if (category.text.sentences.size() > kMaxDistinctPicks ||
            category.text.tags.size() > kMaxDistinctPicks) {
            return false;
        }
        for (const std::string_view tag : category.text.tags) {
            if (tag.size() > kMaxTagBytes) {
                return false;
            }
        }
    }
    return true;
}
static_assert(tables_fit_limits());

// ---------------------------------------------------------------------------------------------
// Rates, in 1/10,000 of events. Chosen so that each placeholder shows up a few percent of the
// time, as in the data set, where "story" posts carry most of the scraping failures.

enum class PostKind : std::uint8_t { image, video, story };
constexpr std::uint32_t kPostKindWeights[] = {8'000, 1'100, 900};  // image, video, story
constexpr std::string_view kPostKindNames[] = {"image", "video", "multi-video(story page format)"};

constexpr std::uint32_t kResendPer10k = 200;   // ~2% of next() calls
constexpr std::int64_t kResendWindow = 1'000;  // re-sends pick among the latest new events

constexpr std::uint32_t kStoryTitleMissingPer10k = 3'000;
constexpr std::uint32_t kTitleMissingPer10k = 150;
constexpr std::uint32_t kStoryDescriptionMissingPer10k = 6'000;
constexpr std::uint32_t kDescriptionMissingPer10k = 300;
constexpr std::uint32_t kUserInfoErrorPer10k = 300;     // poster_name and follower_count both
constexpr std::uint32_t kFollowerErrorOnlyPer10k = 50;  // follower_count alone
constexpr std::uint32_t kStoryTagsMissingPer10k = 2'500;
constexpr std::uint32_t kTagsMissingPer10k = 150;
constexpr std::uint32_t kStoryImageErrorPer10k = 3'500;
constexpr std::uint32_t kImageErrorPer10k = 100;
constexpr std::uint32_t kEmptyTextPer10k = 100;  // title, description, tag_list
constexpr std::uint32_t kEmptyPosterPer10k = 50;
constexpr std::uint32_t kEmptyFollowerPer10k = 30;
constexpr std::uint32_t kDownloadedPer10k = 9'500;  // when the image could be fetched

// Shape of descriptions: short on average with a long tail, like real ones.
constexpr std::uint32_t kSentenceCountWeights[] = {45, 35, 12, 5, 3};  // 1..5 sentences
constexpr std::uint32_t kLineBreakPer10k = 2'000;    // between sentences, else a space
constexpr std::uint32_t kClosingLinePer10k = 2'000;  // "Follow us for more ideas!"
constexpr std::uint32_t kHashtagLinePer10k = 1'500;  // "#HomeDecor #CozyHome"
constexpr std::uint32_t kMinHashtags = 2;
constexpr std::uint32_t kMaxHashtags = 4;
constexpr std::uint32_t kMinTags = 3;  // tag_list
constexpr std::uint32_t kMaxTags = 7;
constexpr std::uint32_t kResizedImagePer10k = 2'000;  // "/736x/" instead of "/originals/"
constexpr std::uint32_t kPngImagePer10k = 1'500;
constexpr std::uint32_t kTitleDecorationPer10k = 3'500;
constexpr std::uint32_t kTitleCountedPer10k = 2'000;  // "25 ... Ideas"

constexpr std::string_view kNoTitle = "No Title Data Available";
constexpr std::string_view kNoDescriptionStory = "No description available Story format";
constexpr std::string_view kNoDescription = "No description available";
constexpr std::string_view kUserInfoError = "User Info Error";
constexpr std::string_view kNoTags = "N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e";
constexpr std::string_view kImageSrcError = "Image src error.";

// Ages: the analytics' group bounds (18-24, 25-35, 36-50, 50+) must be hit exactly and often,
// or an off-by-one in a CASE expression would go unnoticed.
constexpr int kBoundaryAges[] = {18, 24, 25, 35, 36, 50, 51};
constexpr std::uint32_t kBoundaryAgePer10k = 1'500;
struct AgeBand {
    int low;
    int high;  // inclusive
};
constexpr AgeBand kAgeBands[] = {{18, 24}, {25, 35}, {36, 50}, {51, 70}};
constexpr std::uint32_t kAgeBandWeights[] = {35, 35, 20, 10};

// Category adjustments beyond age: a country's favourite, Christmas season, lockdown crafts.
constexpr std::uint32_t kFavouriteBoost = 3;
constexpr std::uint32_t kDecemberChristmasBoost = 4;
constexpr std::uint32_t kNovemberChristmasBoost = 2;
constexpr std::uint32_t kLockdownBoost = 2;  // diy-and-crafts and education in 2020-2021

// Posters: each category has a pool, a few of them big. A poster's name and follower count are
// fixed (seed-independent), so repeated posters agree on their follower count across events.
constexpr std::uint32_t kPostersPerCategory = 200;
constexpr std::uint32_t kTopPosterRank = 10;
constexpr std::uint32_t kMidPosterRank = 60;

// ---------------------------------------------------------------------------------------------
// The facts of one event, drawn before any text so that they can shape it.

struct EventFacts {
    int age;
    std::int64_t joined_at;  // seconds since 1970 UTC
    std::int64_t posted_at;
    const Country* country;
    CategoryId category;
    PostKind kind;
};

int draw_age(Rng& rng) {
    if (rng.chance(kBoundaryAgePer10k)) {
        return kBoundaryAges[rng.below(static_cast<std::uint32_t>(std::size(kBoundaryAges)))];
    }
    const AgeBand& band = kAgeBands[rng.pick_weighted(kAgeBandWeights)];
    return static_cast<int>(rng.between(band.low, band.high));
}

AgeGroup age_group_of(int age) {
    if (age <= 24) {
        return AgeGroup::from_18_to_24;
    }
    if (age <= 35) {
        return AgeGroup::from_25_to_35;
    }
    if (age <= 50) {
        return AgeGroup::from_36_to_50;
    }
    return AgeGroup::over_50;
}

CategoryId draw_category(Rng& rng, int age, const Country& country, std::int64_t posted_at) {
    const util::CivilDate posted = util::civil_from_days(posted_at / util::kSecondsPerDay);
    const std::size_t group = index_of(age_group_of(age));
    std::array<std::uint32_t, kCategoryCount> weights{};
    for (std::size_t i = 0; i < kCategoryCount; ++i) {
        const CategoryContent& category = kCategories[i];
        std::uint32_t weight = category.base_weight * category.age_affinity[group];
        if (i == index_of(country.favourite)) {
            weight *= kFavouriteBoost;
        }
        if (i == index_of(CategoryId::christmas)) {
            weight *= posted.month == 12   ? kDecemberChristmasBoost
                      : posted.month == 11 ? kNovemberChristmasBoost
                                           : 1;
        }
        const bool lockdown = posted.year == 2020 || posted.year == 2021;
        if (lockdown &&
            (i == index_of(CategoryId::diy_and_crafts) || i == index_of(CategoryId::education))) {
            weight *= kLockdownBoost;
        }
        weights[i] = weight;
    }
    return static_cast<CategoryId>(rng.pick_weighted(weights));
}

EventFacts draw_facts(Rng& rng) {
    EventFacts facts{};
    facts.age = draw_age(rng);
    facts.joined_at = rng.between(kJoinedFrom, kJoinedUntil - 1);
    facts.posted_at = rng.between(facts.joined_at, kPostedUntil - 1);
    facts.country = &kCountries[rng.pick_weighted(kCountryWeights)];
    facts.category = draw_category(rng, facts.age, *facts.country, facts.posted_at);
    facts.kind = static_cast<PostKind>(rng.pick_weighted(kPostKindWeights));
    return facts;
}

// ---------------------------------------------------------------------------------------------
// Posters.

struct FollowerCount {
    std::uint32_t value;
    char suffix;  // '\0', 'k' or 'M', as Pinterest abbreviates
};

struct Poster {
    std::string_view first;  // "Emma", "The", ...
    std::string_view separator;
    std::string_view second;  // "Smith", "Cozy Nest", ...
    FollowerCount followers;
};

// Bigger posters (low rank) get "k" and "M" counts; the long tail mostly plain digits.
FollowerCount draw_follower_count(Rng& rng, std::uint32_t rank) {
    std::uint32_t millions_per_10k = 500;
    std::uint32_t thousands_per_10k = 5'000;
    if (rank < kTopPosterRank) {
        millions_per_10k = 6'000;
        thousands_per_10k = 4'000;
    } else if (rank < kMidPosterRank) {
        millions_per_10k = 1'000;
        thousands_per_10k = 8'000;
    }
    const std::uint32_t roll = rng.below(10'000);
    if (roll < millions_per_10k) {
        // Mostly 1M-5M, rarely up to 50M: a fine-grained tail, so that the most followed
        // posters of different countries rarely tie. Separate statements: the order of draws
        // must not be left to the compiler (operand evaluation order is unspecified).
        const std::uint32_t base = rng.below(71);
        const std::uint32_t factor = rng.below(71);
        return {1 + base * factor / 100, 'M'};
    }
    if (roll < millions_per_10k + thousands_per_10k) {
        return {1 + rng.below(999), 'k'};
    }
    return {rng.below(1'000), '\0'};
}

// Posters have a home country: each (category, country) has its own pool, so the most followed
// poster differs from country to country, as in the real data.
Poster poster_for(CategoryId category, std::size_t country, std::uint32_t rank) {
    Rng rng(mix64(kPosterUniverseSalt +
                  (index_of(category) * kCountryCount + country) * kPostersPerCategory + rank));
    const CategoryText& text = kCategories[index_of(category)].text;
    const FollowerCount followers = draw_follower_count(rng, rank);
    // Braced initializers evaluate left to right, so the draws below happen in a fixed order.
    switch (rng.below(10)) {
        case 0:
        case 1:
        case 2:
        case 3:  // a person: "Emma Müller"
            return {rng.pick(kFirstNames), " ", rng.pick(kLastNames), followers};
        case 4:
        case 5:  // a person's board: "Emma | Cozy Nest"
            return {rng.pick(kFirstNames), " | ", rng.pick(text.brand_words), followers};
        default:  // a brand: "The Cozy Nest"
            return {rng.pick(kBrandPrefixes), " ", rng.pick(text.brand_words), followers};
    }
}

// Skewed towards low ranks: the product of two uniform draws puts ~20% of posts on the top 10.
std::uint32_t draw_poster_rank(Rng& rng) {
    const std::uint32_t first = rng.below(kPostersPerCategory);
    const std::uint32_t second = rng.below(kPostersPerCategory);
    return first * second / kPostersPerCategory;
}

// ---------------------------------------------------------------------------------------------
// The three messages.

void write_title(JsonObjectWriter& json, Rng& rng, const CategoryContent& content) {
    json.begin_string("title");
    const bool counted = rng.chance(kTitleCountedPer10k);
    if (counted) {
        json.append(rng.pick(kTitleCounts));
        json.append(" ");
    }
    json.append(rng.pick(content.text.title_heads));
    const std::string_view tail = counted ? std::string_view("Ideas") : rng.pick(kTitleTails);
    if (!tail.empty()) {
        json.append(" ");
        json.append(tail);
    }
    if (rng.chance(kTitleDecorationPer10k)) {
        json.append(rng.pick(kTitleDecorations));
    }
    json.end_string();
}

// "#HomeDecor" from "Home Decor": hashtags drop everything but letters and digits.
void append_hashtag(JsonObjectWriter& json, std::string_view tag) {
    char buffer[kMaxTagBytes + 1];
    std::size_t length = 0;
    buffer[length++] = '#';
    for (const char c : tag) {
        const bool ascii_alnum =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        const bool utf8_byte = (static_cast<unsigned char>(c) & 0x80) != 0;  // keep "Noël" whole
        if (ascii_alnum || utf8_byte) {
            buffer[length++] = c;
        }
    }
    json.append(std::string_view(buffer, length));
}

// One to a handful of the category's sentences, sometimes split into lines, sometimes with a
// closing line and hashtags: short on average, with a long tail like real descriptions.
void write_description(JsonObjectWriter& json, Rng& rng, const CategoryContent& content) {
    const std::size_t sentence_count = 1 + rng.pick_weighted(kSentenceCountWeights);
    json.begin_string("description");
    bool first = true;
    for_distinct(rng, content.text.sentences.size(), sentence_count, [&](std::size_t i) {
        if (!first) {
            json.append(rng.chance(kLineBreakPer10k) ? "\n" : " ");
        }
        first = false;
        json.append(content.text.sentences[i]);
    });
    if (rng.chance(kClosingLinePer10k)) {
        json.append("\n\n");
        json.append(rng.pick(kDescriptionExtras));
    }
    if (rng.chance(kHashtagLinePer10k)) {
        json.append("\n");
        bool first_hashtag = true;
        for_distinct(rng, content.text.tags.size(), rng.between(kMinHashtags, kMaxHashtags),
                     [&](std::size_t i) {
                         if (!first_hashtag) {
                             json.append(" ");
                         }
                         first_hashtag = false;
                         append_hashtag(json, content.text.tags[i]);
                     });
    }
    json.end_string();
}

void write_tag_list(JsonObjectWriter& json, Rng& rng, const CategoryContent& content) {
    json.begin_string("tag_list");
    bool first = true;
    for_distinct(rng, content.text.tags.size(), rng.between(kMinTags, kMaxTags),
                 [&](std::size_t i) {
                     if (!first) {
                         json.append(",");
                     }
                     first = false;
                     json.append(content.text.tags[i]);
                 });
    json.end_string();
}

void write_follower_count(JsonObjectWriter& json, const FollowerCount& followers) {
    json.begin_string("follower_count");
    json.append_number(followers.value);
    if (followers.suffix != '\0') {
        json.append(std::string_view(&followers.suffix, 1));
    }
    json.end_string();
}

// "https://i.pinimg.com/originals/d1/b5/0c/d1b50c0b....jpg": Pinterest's CDN shards by the
// first six hex digits of the image hash.
void write_image_src(JsonObjectWriter& json, Rng& rng) {
    using util::kHexDigits;
    char hash[32];
    for (std::size_t half = 0; half < 2; ++half) {
        std::uint64_t bits = rng.next_u64();
        for (std::size_t i = 0; i < 16; ++i, bits >>= 4) {
            hash[half * 16 + i] = kHexDigits[bits & 0xf];
        }
    }
    const std::string_view hex(hash, sizeof hash);
    json.begin_string("image_src");
    json.append(rng.chance(kResizedImagePer10k) ? "https://i.pinimg.com/736x/"
                                                : "https://i.pinimg.com/originals/");
    for (std::size_t shard = 0; shard < 3; ++shard) {
        json.append(hex.substr(shard * 2, 2));
        json.append("/");
    }
    json.append(hex);
    json.append(rng.chance(kPngImagePer10k) ? ".png" : ".jpg");
    json.end_string();
}

// A version 4 UUID: 122 random bits, version nibble 4, variant bits 10.
void write_unique_id(JsonObjectWriter& json, Rng& rng) {
    using util::kHexDigits;
    std::uint64_t high = rng.next_u64();
    std::uint64_t low = rng.next_u64();
    high = (high & ~std::uint64_t{0xf000}) | 0x4000;
    low = (low & ~(std::uint64_t{3} << 62)) | (std::uint64_t{2} << 62);
    char text[36];
    std::size_t length = 0;
    for (int nibble = 31; nibble >= 0; --nibble) {
        const std::uint64_t word = nibble >= 16 ? high : low;
        text[length++] = kHexDigits[(word >> ((nibble % 16) * 4)) & 0xf];
        if (nibble == 24 || nibble == 20 || nibble == 16 || nibble == 12) {
            text[length++] = '-';
        }
    }
    json.add_string("unique_id", std::string_view(text, length));
}

void write_pin(std::string& out, std::int64_t ind, const EventFacts& facts, Rng& rng) {
    const CategoryContent& content = kCategories[index_of(facts.category)];
    const bool story = facts.kind == PostKind::story;
    JsonObjectWriter json(out);
    json.add_int("index", ind);
    write_unique_id(json, rng);

    if (rng.chance(story ? kStoryTitleMissingPer10k : kTitleMissingPer10k)) {
        json.add_string("title", kNoTitle);
    } else if (rng.chance(kEmptyTextPer10k)) {
        json.add_string("title", "");
    } else {
        write_title(json, rng, content);
    }

    if (story && rng.chance(kStoryDescriptionMissingPer10k)) {
        json.add_string("description", kNoDescriptionStory);
    } else if (rng.chance(kDescriptionMissingPer10k)) {
        json.add_string("description", kNoDescription);
    } else if (rng.chance(kEmptyTextPer10k)) {
        json.add_string("description", "");
    } else {
        write_description(json, rng, content);
    }

    const Poster poster =
        poster_for(facts.category, static_cast<std::size_t>(facts.country - std::begin(kCountries)),
                   draw_poster_rank(rng));
    const bool user_info_error = rng.chance(kUserInfoErrorPer10k);
    if (user_info_error) {
        json.add_string("poster_name", kUserInfoError);
    } else if (rng.chance(kEmptyPosterPer10k)) {
        json.add_string("poster_name", "");
    } else {
        json.begin_string("poster_name");
        json.append(poster.first);
        json.append(poster.separator);
        json.append(poster.second);
        json.end_string();
    }
    if (user_info_error || rng.chance(kFollowerErrorOnlyPer10k)) {
        json.add_string("follower_count", kUserInfoError);
    } else if (rng.chance(kEmptyFollowerPer10k)) {
        json.add_string("follower_count", "");
    } else {
        write_follower_count(json, poster.followers);
    }

    if (rng.chance(story ? kStoryTagsMissingPer10k : kTagsMissingPer10k)) {
        json.add_string("tag_list", kNoTags);
    } else if (rng.chance(kEmptyTextPer10k)) {
        json.add_string("tag_list", "");
    } else {
        write_tag_list(json, rng, content);
    }

    json.add_string("is_image_or_video", kPostKindNames[static_cast<std::size_t>(facts.kind)]);

    const bool image_error = rng.chance(story ? kStoryImageErrorPer10k : kImageErrorPer10k);
    if (image_error) {
        json.add_string("image_src", kImageSrcError);
    } else {
        write_image_src(json, rng);
    }
    json.add_int("downloaded", !image_error && rng.chance(kDownloadedPer10k) ? 1 : 0);

    json.begin_string("save_location");
    json.append("Local save in /data/");
    json.append(content.name);
    json.end_string();
    json.add_string("category", content.name);
    json.close();
}

void write_geo(std::string& out, std::int64_t ind, const EventFacts& facts, Rng& rng) {
    const Country& country = *facts.country;
    constexpr std::int32_t kMaxLatitude = 90 * 10'000;
    constexpr std::int32_t kFullCircle = 360 * 10'000;
    const std::int64_t latitude_offset = rng.between(-country.spread_e4, country.spread_e4);
    const std::int64_t longitude_offset = rng.between(-country.spread_e4, country.spread_e4);
    // Keep points on the globe: clamp at the poles, wrap at the date line (Pacific boxes).
    const auto latitude = static_cast<std::int32_t>(
        std::clamp(country.latitude_e4 + latitude_offset, std::int64_t{-kMaxLatitude},
                   std::int64_t{kMaxLatitude}));
    auto longitude = static_cast<std::int32_t>(country.longitude_e4 + longitude_offset);
    if (longitude > kFullCircle / 2) {
        longitude -= kFullCircle;
    } else if (longitude < -kFullCircle / 2) {
        longitude += kFullCircle;
    }
    JsonObjectWriter json(out);
    json.add_int("ind", ind);
    json.add_timestamp("timestamp", facts.posted_at);
    json.add_degrees("latitude", latitude);
    json.add_degrees("longitude", longitude);
    json.add_string("country", country.name);
    json.close();
}

void write_user(std::string& out, std::int64_t ind, const EventFacts& facts, Rng& rng) {
    JsonObjectWriter json(out);
    json.add_int("ind", ind);
    json.add_string("first_name", rng.pick(kFirstNames));
    json.add_string("last_name", rng.pick(kLastNames));
    json.add_int("age", facts.age);
    json.add_timestamp("date_joined", facts.joined_at);
    json.close();
}

// Typical sizes, so that building a message never reallocates.
constexpr std::size_t kPinCapacity = 1'024;
constexpr std::size_t kGeoCapacity = 160;
constexpr std::size_t kUserCapacity = 128;

}  // namespace

EventGenerator::EventGenerator(std::uint64_t seed)
    : m_event_seed(mix64(seed)), m_stream_state(mix64(seed ^ kStreamSalt)) {}

GeneratedEvent EventGenerator::next() {
    Rng stream(m_stream_state);
    const bool resend = m_next_ind > 0 && stream.chance(kResendPer10k);
    std::int64_t ind = m_next_ind;
    if (resend) {
        const auto window = static_cast<std::uint32_t>(std::min(m_next_ind, kResendWindow));
        ind = m_next_ind - 1 - stream.below(window);
    } else {
        ++m_next_ind;
    }
    m_stream_state = stream.state();
    GeneratedEvent event = event_at(ind);
    event.resent = resend;
    return event;
}

GeneratedEvent EventGenerator::event_at(std::int64_t ind) const {
    // A fresh stream per ind, mixed twice so neighbouring inds share no visible pattern.
    Rng rng(mix64(m_event_seed + kGoldenGamma * static_cast<std::uint64_t>(ind)));
    const EventFacts facts = draw_facts(rng);
    GeneratedEvent event;
    event.ind = ind;
    event.pin.reserve(kPinCapacity);
    event.geo.reserve(kGeoCapacity);
    event.user.reserve(kUserCapacity);
    write_pin(event.pin, ind, facts, rng);
    write_geo(event.geo, ind, facts, rng);
    write_user(event.user, ind, facts, rng);
    return event;
}

}  // namespace pinpipe::emulate
