// EventGenerator: realistic pin/geo/user events modelled on the Pinterest data set, with the
// placeholders, boundary values and re-sends that the cleaning rules and analytics must handle.
#include "emulate/generator.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <span>
#include <string_view>

#include "util/civil_time.hpp"

namespace pinpipe::emulate {
namespace {

// ---------------------------------------------------------------------------------------------
// Randomness: splitmix64 plus integer range mapping, specified down to the bit.

constexpr std::uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ULL;
// Salts keep the re-send stream and the poster universe independent of the event streams.
constexpr std::uint64_t kStreamSalt = 0x5eed5eed5eed5eedULL;
constexpr std::uint64_t kPosterUniverseSalt = 0x9057e25a11ce0000ULL;

// splitmix64's finalizer: a bijective mixer, so distinct inputs never collide.
constexpr std::uint64_t mix64(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// splitmix64 (Steele, Lea, Flood 2014): one word of state, so a fresh stream per event costs
// nothing, and statistics are more than good enough for test data.
class Rng {
  public:
    explicit Rng(std::uint64_t state) : m_state(state) {}

    std::uint64_t state() const { return m_state; }

    std::uint64_t next_u64() {
        m_state += kGoldenGamma;
        return mix64(m_state);
    }

    // Uniform in [0, bound): multiply-shift on the high 32 bits; the bias (< bound / 2^32) is
    // irrelevant here and, unlike rejection sampling, the number of draws is fixed.
    std::uint32_t below(std::uint32_t bound) {
        return static_cast<std::uint32_t>(((next_u64() >> 32) * bound) >> 32);
    }

    // Uniform in [low, high]; the range must stay below 2^32.
    std::int64_t between(std::int64_t low, std::int64_t high) {
        return low + below(static_cast<std::uint32_t>(high - low + 1));
    }

    // True with probability per_10k / 10,000.
    bool chance(std::uint32_t per_10k) { return below(10'000) < per_10k; }

    std::string_view pick(std::span<const std::string_view> items) {
        return items[below(static_cast<std::uint32_t>(items.size()))];
    }

    std::size_t pick_weighted(std::span<const std::uint32_t> weights) {
        std::uint32_t total = 0;
        for (const std::uint32_t weight : weights) {
            total += weight;
        }
        std::uint32_t point = below(total);
        for (std::size_t i = 0; i < weights.size(); ++i) {
            if (point < weights[i]) {
                return i;
            }
            point -= weights[i];
        }
        return weights.size() - 1;  // unreachable: point < total
    }

  private:
    std::uint64_t m_state;
};

// Calls visit(index) for `count` distinct indices below `size` (at most 64), in random order.
template <class Visit>
void for_distinct(Rng& rng, std::size_t size, std::size_t count, Visit visit) {
    std::uint64_t used = 0;
    for (std::size_t n = 0; n < count && n < size; ++n) {
        std::uint32_t i = rng.below(static_cast<std::uint32_t>(size));
        while ((used >> i) & 1U) {
            i = static_cast<std::uint32_t>((i + 1) % size);  // probing keeps the draw count fixed
        }
        used |= std::uint64_t{1} << i;
        visit(i);
    }
}

// ---------------------------------------------------------------------------------------------
// Calendar: times are seconds since 1970-01-01 UTC, dates from util::civil_from_days (pure
// integer arithmetic, no time zone, no libc), so timestamps are identical everywhere.

constexpr std::int64_t kSecondsPerDay = 86'400;

constexpr std::int64_t unix_seconds(int year, unsigned month, unsigned day) {
    return util::days_from_civil({year, month, day}) * kSecondsPerDay;
}

// date_joined spans 2015–2020; a pin is posted after its user joined, up to the end of 2022, so
// geolocation years span 2015–2022 and lean towards recent years, as real activity does.
constexpr std::int64_t kJoinedFrom = unix_seconds(2015, 1, 1);
constexpr std::int64_t kJoinedUntil = unix_seconds(2021, 1, 1);  // exclusive
constexpr std::int64_t kPostedUntil = unix_seconds(2023, 1, 1);  // exclusive

// ---------------------------------------------------------------------------------------------
// Content tables. Text is UTF-8 and deliberately carries what JSON must escape (quotes,
// backslashes, newlines) and what a byte-oriented pipeline must not mangle (accents, emoji).

enum class CategoryId : std::uint8_t {
    art,
    beauty,
    christmas,
    diy_and_crafts,
    education,
    event_planning,
    finance,
    home_decor,
    mens_fashion,
    quotes,
    tattoos,
    travel,
    vehicles,
};
constexpr std::size_t kCategoryCount = 13;

enum class AgeGroup : std::uint8_t { from_18_to_24, from_25_to_35, from_36_to_50, over_50 };
constexpr std::size_t kAgeGroupCount = 4;

constexpr std::size_t index_of(CategoryId id) {
    return static_cast<std::size_t>(id);
}
constexpr std::size_t index_of(AgeGroup group) {
    return static_cast<std::size_t>(group);
}

// The text a category's pins are assembled from.
struct CategoryText {
    std::span<const std::string_view> title_heads;
    std::span<const std::string_view> sentences;
    std::span<const std::string_view> tags;
    std::span<const std::string_view> brand_words;  // for poster names like "The Cozy Nest"
};

struct CategoryContent {
    std::string_view name;
    std::uint32_t base_weight;  // popularity before age, country and season adjust it
    // Multiplier per age group (18-24, 25-35, 36-50, 50+): makes the age-group rankings differ.
    std::array<std::uint32_t, kAgeGroupCount> age_affinity;
    CategoryText text;
};

constexpr std::string_view kArtTitleHeads[] = {
    "Abstract Acrylic Painting",
    "Watercolor Landscape",
    "Pencil Portrait Drawing",
    "Line Art Sketch",
    "Oil Painting Technique",
    "Charcoal Figure Study",
    "Gouache Botanical Painting",
    "Digital Character Design",
    "Canvas Wall Art",
};
constexpr std::string_view kArtSentences[] = {
    "Learn how to blend colors smoothly with just three brushes and a palette knife.",
    "This abstract piece was painted with acrylics on a 24\"x36\" canvas.",
    "Start with light pencil lines, then build up the shadows layer by layer.",
    "Watercolor is all about letting the water do the work – don't overwork the paper.",
    "I painted this during a rainy weekend and honestly it's my favorite piece so far 🎨",
    "Tip: use masking fluid to keep the highlights bright.",
    "Inspired by Monet's \"Water Lilies\" and the colors of late summer.",
    "Available as a print in my Etsy shop – link in bio!",
    "Sketchbook tour: 40 pages of studies, doodles and failed experiments.",
    "Materials: Arches cold-press paper, Winsor & Newton pans, a size 8 round brush.",
};
constexpr std::string_view kArtTags[] = {
    "Art",        "Painting",     "Watercolor Art",  "Acrylic Painting", "Drawing Ideas",
    "Sketchbook", "Abstract Art", "Art Inspiration", "Canvas Art",       "Art Tutorials",
};
constexpr std::string_view kArtBrands[] = {"Art Studio", "Brush Strokes", "Canvas & Co",
                                           "Sketchbook Diaries"};
constexpr CategoryText kArtText = {kArtTitleHeads, kArtSentences, kArtTags, kArtBrands};

constexpr std::string_view kBeautyTitleHeads[] = {
    "Natural Makeup Look", "Skincare Routine",    "Winter Nail Art",
    "Braided Hairstyles",  "Smokey Eye",          "Glowing Skin Tips",
    "Curly Hair Routine",  "Summer Nail Designs", "Brow Shaping",
};
constexpr std::string_view kBeautySentences[] = {
    "My 5-step morning skincare routine for glowing skin ✨",
    "Always apply sunscreen as the last step, even on cloudy days.",
    "This nude lip combo works on almost every skin tone.",
    "Use a damp beauty sponge for a natural, skin-like finish.",
    "Say goodbye to frizz: the \"plopping\" method changed my curls forever.",
    "These nail designs are easy to do at home with just a dotting tool.",
    "Double cleansing removes makeup and SPF without stripping your skin.",
    "Products used: hyaluronic serum, niacinamide 10%, a lightweight gel moisturizer.",
    "Save this pin for your next salon appointment 💅",
    "Hair tutorial: section, twist, pin – done in under ten minutes.",
};
constexpr std::string_view kBeautyTags[] = {
    "Beauty",          "Makeup",      "Skincare",     "Nail Art", "Hairstyles",
    "Makeup Tutorial", "Beauty Tips", "Glowing Skin", "Nails",    "Hair Care",
};
constexpr std::string_view kBeautyBrands[] = {"Beauty Tips", "Glow Guide", "Makeup Looks",
                                              "Nail Designs"};
constexpr CategoryText kBeautyText = {kBeautyTitleHeads, kBeautySentences, kBeautyTags,
                                      kBeautyBrands};

constexpr std::string_view kChristmasTitleHeads[] = {
    "DIY Christmas Ornament",  "Christmas Tree Decorating", "Holiday Table Setting",
    "Christmas Cookie Recipe", "Rustic Christmas Decor",    "Advent Calendar",
    "Elf on the Shelf",        "Christmas Gift Wrapping",   "Festive Front Porch",
};
constexpr std::string_view kChristmasSentences[] = {
    "'Twas the night before Christmas… and the cookies were still in the oven 🎄",
    "These salt dough ornaments take 20 minutes to make and last for years.",
    "Wrap gifts in brown kraft paper, twine and a sprig of fresh pine.",
    "Our family tradition: matching pajamas and hot cocoa on Christmas Eve.",
    "A simple garland of dried orange slices makes the whole house smell amazing.",
    "Free printable gift tags included – just print, cut and tie!",
    "Red, white and a touch of gold: a classic palette that never gets old.",
    "Elf on the Shelf idea #12: the elf \"fell\" into the flour again.",
    "Make the advent calendar once and refill it every December.",
    "Set the table with candles, greenery and mismatched vintage plates.",
};
constexpr std::string_view kChristmasTags[] = {
    "Christmas", "Christmas Decorations", "Christmas Crafts",  "Holiday Decor", "Christmas Tree",
    "Xmas",      "Christmas Gifts",       "Christmas Cookies", "Noël",          "Holiday Baking",
};
constexpr std::string_view kChristmasBrands[] = {"Christmas Ideas", "Holiday Magic", "Merry Makers",
                                                 "Yuletide Home"};
constexpr CategoryText kChristmasText = {kChristmasTitleHeads, kChristmasSentences, kChristmasTags,
                                         kChristmasBrands};

constexpr std::string_view kDiyTitleHeads[] = {
    "Easy Paper Flower",    "Mason Jar Craft", "Upcycled Furniture",
    "Macrame Plant Hanger", "Kids Craft",      "Resin Coaster",
    "Cricut Project",       "Crochet Blanket", "Dollar Store DIY",
};
constexpr std::string_view kDiySentences[] = {
    "You only need glue, scissors and an old cardboard box for this one.",
    "Step 1: sand the surface. Step 2: prime. Step 3: two thin coats of chalk paint.",
    "The kids loved making these – perfect for a rainy afternoon!",
    "Free pattern below 👇 (US terms, 5mm hook, worsted weight yarn)",
    "I turned a $5 thrift store find into something I actually love.",
    "Hot glue tip: keep a bowl of cold water nearby for your fingertips 😅",
    "Measure twice, cut once – especially with expensive fabric.",
    "This macrame knot is easier than it looks, I promise.",
    "Use Mod Podge to seal it and it will last outdoors too.",
    "Supplies list and printable template are on the blog.",
};
constexpr std::string_view kDiyTags[] = {
    "DIY",     "Crafts",  "DIY Projects", "Crafts For Kids", "Upcycling",
    "Crochet", "Macrame", "Cricut",       "Handmade",        "DIY Home Decor",
};
constexpr std::string_view kDiyBrands[] = {"Crafty Nest", "DIY Projects", "Handmade Happiness",
                                           "Craft Corner"};
constexpr CategoryText kDiyText = {kDiyTitleHeads, kDiySentences, kDiyTags, kDiyBrands};

constexpr std::string_view kEducationTitleHeads[] = {
    "Classroom Organization",
    "Free Math Worksheet",
    "Homeschool Schedule",
    "Study Hack",
    "Reading Activity",
    "Python Coding",
    "Bulletin Board",
    "Science Experiment",
    "Note Taking",
};
constexpr std::string_view kEducationSentences[] = {
    "Print these worksheets for free and laminate them for reuse.",
    "The Pomodoro method: 25 minutes of focus, 5 minutes of rest, repeat.",
    "In Python, use \"\\n\" to start a new line and \"\\t\" for a tab.",
    "Anchor charts help students remember the steps long after the lesson.",
    "Our homeschool day starts at 9 and wraps up before lunch.",
    "Color-code your notes: blue for definitions, green for examples, red for exam topics.",
    "Teachers, this bulletin board took me under an hour to put up!",
    "A simple experiment with baking soda, vinegar and food coloring 🌋",
    "Save the file to C:\\Users\\Public\\Documents so every account can open it.",
    "Flashcards + spaced repetition = fewer all-nighters.",
};
constexpr std::string_view kEducationTags[] = {
    "Education",  "Teaching",          "Homeschool", "Classroom",       "Study Tips",
    "Worksheets", "Teacher Resources", "Learning",   "Kids Activities", "Study Motivation",
};
constexpr std::string_view kEducationBrands[] = {"Teaching Resources", "Classroom Ideas",
                                                 "Study Hub", "Homeschool Life"};
constexpr CategoryText kEducationText = {kEducationTitleHeads, kEducationSentences, kEducationTags,
                                         kEducationBrands};

constexpr std::string_view kEventTitleHeads[] = {
    "Rustic Wedding Decor", "Baby Shower",      "Birthday Party Theme",
    "Bridal Shower Game",   "Graduation Party", "Outdoor Wedding Reception",
    "Dessert Table",        "Engagement Party", "Gender Reveal",
};
constexpr std::string_view kEventSentences[] = {
    "We planned the whole reception on a $3,000 budget – here's how.",
    "Guests loved the DIY photo booth with props from the dollar store.",
    "Mix eucalyptus and white roses for an elegant, budget-friendly centerpiece.",
    "Printable checklist: what to do 12 months, 6 months and 1 week before the big day.",
    "The theme was \"Under the Sea\" and the cake stole the show 🐠",
    "Fairy lights + mason jars = instant magic for an evening party.",
    "Seating chart tip: group guests by how they know the couple.",
    "Don't forget a rain plan for any outdoor event!",
    "Balloon garlands are easier to make than you think.",
    "Send the invitations six to eight weeks in advance.",
};
constexpr std::string_view kEventTags[] = {
    "Party Ideas",         "Wedding",           "Wedding Decorations", "Baby Shower",
    "Birthday Party",      "Party Decorations", "Event Planning",      "Bridal Shower",
    "Wedding Inspiration", "Party Themes",
};
constexpr std::string_view kEventBrands[] = {"Party Planning", "Wedding Ideas", "Celebrations",
                                             "Event Styling"};
constexpr CategoryText kEventText = {kEventTitleHeads, kEventSentences, kEventTags, kEventBrands};

constexpr std::string_view kFinanceTitleHeads[] = {
    "Budgeting",     "Money Saving Challenge",  "Debt Payoff Plan", "Side Hustle",    "Investing",
    "Frugal Living", "Monthly Budget Template", "Emergency Fund",   "Passive Income",
};
constexpr std::string_view kFinanceSentences[] = {
    "We paid off $42,000 of debt in 18 months using the snowball method.",
    "The 50/30/20 rule: needs, wants, savings – a simple place to start.",
    "Download the free budget spreadsheet (Excel & Google Sheets).",
    "Start your emergency fund with just $5 a week and build from there.",
    "Index funds are boring, and that's exactly why they work.",
    "Track every expense for 30 days and you'll be surprised where the money goes 💸",
    "No-spend challenge: 30 days, only essentials, post your progress!",
    "Automate your savings so you never \"forget\" to pay yourself first.",
    "Side hustles that actually pay: tutoring, pet sitting, selling printables.",
    "This is not financial advice – do your own research.",
};
constexpr std::string_view kFinanceTags[] = {
    "Personal Finance", "Budgeting", "Money Saving Tips", "Frugal Living",     "Debt Free",
    "Save Money",       "Investing", "Side Hustle",       "Financial Freedom", "Budget Planner",
};
constexpr std::string_view kFinanceBrands[] = {"Money Tips", "Budget Mom", "Frugal Finance",
                                               "Wealth Journal"};
constexpr CategoryText kFinanceText = {kFinanceTitleHeads, kFinanceSentences, kFinanceTags,
                                       kFinanceBrands};

constexpr std::string_view kHomeTitleHeads[] = {
    "Cozy Living Room",  "Small Bedroom Makeover", "Boho Bathroom",
    "Farmhouse Kitchen", "Scandinavian Interior",  "Gallery Wall",
    "Modern Entryway",   "Reading Nook",           "Rental-Friendly Apartment Decor",
};
constexpr std::string_view kHomeSentences[] = {
    "Layer textures – linen, wool, rattan – to make a room feel warm.",
    "We painted the walls in a warm white and it changed everything.",
    "Rental-friendly: peel-and-stick wallpaper and command hooks only!",
    "Hang curtains high and wide to make the ceiling look taller.",
    "A round mirror opposite the window doubles the natural light ☀️",
    "Before & after: same furniture, new layout, zero dollars spent.",
    "Plants are the cheapest way to bring a space to life 🌿",
    "Sources: sofa from IKEA, rug vintage, lamps thrifted.",
    "Swap the cabinet hardware for brass pulls for an instant upgrade.",
    "The \"rule of three\" makes styling shelves so much easier.",
};
constexpr std::string_view kHomeTags[] = {
    "Home Decor", "Living Room Decor", "Bedroom Ideas", "Interior Design", "Farmhouse Decor",
    "Boho Decor", "Apartment Decor",   "Home Design",   "Cozy Home",       "Small Spaces",
};
constexpr std::string_view kHomeBrands[] = {"Home Decor Ideas", "Cozy Nest", "Interior Diaries",
                                            "House & Home"};
constexpr CategoryText kHomeText = {kHomeTitleHeads, kHomeSentences, kHomeTags, kHomeBrands};

constexpr std::string_view kMensTitleHeads[] = {
    "Casual Men's Outfit", "Smart Casual Style",     "Streetwear Look",
    "Fall Layering",       "Men's Capsule Wardrobe", "Suit Fitting",
    "Minimalist Sneaker",  "Summer Linen Shirt",     "Denim Jacket Outfit",
};
constexpr std::string_view kMensSentences[] = {
    "A navy blazer, white tee and dark denim: the formula never fails.",
    "Fit is everything – a $50 suit tailored beats a $500 suit off the rack.",
    "Roll your chinos once for a clean break above the sneakers.",
    "10 pieces, 30 outfits: the capsule wardrobe every guy needs.",
    "Match your belt to your shoes, and your watch strap if you can.",
    "Layer a hoodie under an overcoat for an easy streetwear look 🔥",
    "Shop the look: links in the description.",
    "Earth tones are having a moment – olive, rust and camel.",
    "How a suit should fit: shoulders, sleeve length, trouser break.",
    "Keep it simple: no more than three colors per outfit.",
};
constexpr std::string_view kMensTags[] = {
    "Mens Fashion", "Mens Outfits", "Mens Style",    "Streetwear", "Casual Outfits",
    "Menswear",     "Street Style", "Mens Clothing", "Suits",      "Fashion",
};
constexpr std::string_view kMensBrands[] = {"Mens Style", "Dapper Daily", "Gentleman's Guide",
                                            "Streetwear Lab"};
constexpr CategoryText kMensText = {kMensTitleHeads, kMensSentences, kMensTags, kMensBrands};

constexpr std::string_view kQuotesTitleHeads[] = {
    "Motivational Quote",   "Self Love Quote",     "Life Quote",
    "Funny Quote",          "Inspirational Quote", "Friendship Quote",
    "Positive Affirmation", "Deep Thought",        "Monday Motivation",
};
constexpr std::string_view kQuotesSentences[] = {
    "\"Be yourself; everyone else is already taken.\" – Oscar Wilde",
    "\"The best time to plant a tree was 20 years ago. The second best time is now.\"",
    "Some days you just have to create your own sunshine ☀️",
    "When nothing goes right… go left.",
    "Me: I'll go to bed early tonight.\nAlso me at 3am: ¯\\_(ツ)_/¯",
    "Note to self: you are doing better than you think 💛",
    "\"It always seems impossible until it's done.\" – Nelson Mandela",
    "Good vibes only ✌️",
    "Don't count the days, make the days count.",
    "Save this for the days you need a reminder.",
};
constexpr std::string_view kQuotesTags[] = {
    "Quotes",
    "Inspirational Quotes",
    "Motivational Quotes",
    "Life Quotes",
    "Positive Quotes",
    "Self Love",
    "Words",
    "Funny Quotes",
    "Affirmations",
    "Quotes To Live By",
};
constexpr std::string_view kQuotesBrands[] = {"Quotes Daily", "Words to Live By", "Positive Vibes",
                                              "Daily Inspiration"};
constexpr CategoryText kQuotesText = {kQuotesTitleHeads, kQuotesSentences, kQuotesTags,
                                      kQuotesBrands};

constexpr std::string_view kTattooTitleHeads[] = {
    "Fine Line Tattoo",   "Small Wrist Tattoo",    "Floral Sleeve",
    "Minimalist Tattoo",  "Matching Tattoo",       "Geometric Tattoo",
    "Script Tattoo Font", "Japanese Style Tattoo", "Tattoo Aftercare",
};
constexpr std::string_view kTattooSentences[] = {
    "Fine line tattoos heal best when you keep them out of the sun.",
    "Done by @inkbyrosa – 3 hours, healed photo coming soon.",
    "Matching tattoos with my sister, because why not? 🖤",
    "Aftercare: wash gently, pat dry, thin layer of ointment, repeat.",
    "Placement idea: inner forearm, behind the ear, or along the ribs.",
    "Script reads \"Still I rise\" in a custom hand-lettered font.",
    "Blackwork \\ dotwork hybrid, first session of a full sleeve.",
    "Small tattoos under $100 for your first ink.",
    "The meaning behind the lotus: growth, rebirth, resilience.",
    "Always ask to see the artist's healed work before booking.",
};
constexpr std::string_view kTattooTags[] = {
    "Tattoos",           "Tattoo Ideas",   "Small Tattoos", "Fine Line Tattoo",  "Tattoo Designs",
    "Minimalist Tattoo", "Sleeve Tattoos", "Ink",           "Tattoos For Women", "Body Art",
};
constexpr std::string_view kTattooBrands[] = {"Tattoo Ideas", "Ink Inspiration", "Fine Line Studio",
                                              "Tattoo Designs"};
constexpr CategoryText kTattooText = {kTattooTitleHeads, kTattooSentences, kTattooTags,
                                      kTattooBrands};

constexpr std::string_view kTravelTitleHeads[] = {
    "Italy Itinerary", "Portugal Hidden Gem", "Bali Travel",
    "Road Trip",       "Europe Packing List", "Iceland Ring Road Stop",
    "Budget Travel",   "Greek Island",        "Paris Weekend",
};
constexpr std::string_view kTravelSentences[] = {
    "Our 14-day itinerary covers Rome, Florence, Cinque Terre and the Amalfi Coast.",
    "Go early: by 9am the viewpoint was packed with tour buses.",
    "Packing cubes changed the way I travel – everything fits in a carry-on.",
    "Café tip: order at the bar like the locals do ☕",
    "Best time to visit: May or late September, fewer crowds and lower prices.",
    "We rented a car at Keflavík and drove the whole Ring Road in 8 days.",
    "Budget breakdown: flights, hotels, food and activities in the blog post.",
    "Don't miss the sunset from the old town walls 🌅",
    "Travel insurance is one thing I never skip anymore.",
    "Save this pin for your next trip! ✈️",
};
constexpr std::string_view kTravelTags[] = {
    "Travel",        "Travel Tips", "Travel Destinations", "Wanderlust",         "Travel Guide",
    "Europe Travel", "Road Trip",   "Beach Vacation",      "Travel Photography", "Bucket List",
};
constexpr std::string_view kTravelBrands[] = {"Travel Guide", "Wanderlust Diaries",
                                              "Passport & Pixels", "Travel Tips"};
constexpr CategoryText kTravelText = {kTravelTitleHeads, kTravelSentences, kTravelTags,
                                      kTravelBrands};

constexpr std::string_view kVehicleTitleHeads[] = {
    "Classic Car Restoration", "Camper Van Conversion",  "Off-Road Truck Build",
    "Motorcycle Maintenance",  "Vintage Volkswagen Bus", "Electric Car Road Trip",
    "Garage Organization",     "JDM Car Build",          "Muscle Car",
};
constexpr std::string_view kVehicleSentences[] = {
    "Full restoration: 18 months, two engines and a lot of patience.",
    "Our DIY camper van build cost under $8,000 including solar.",
    "Check tire pressure monthly – it's the cheapest fuel saver there is.",
    "The 1967 Mustang fastback is still the most beautiful car ever made.",
    "Before & after: rust repair on the rear quarter panels 🔧",
    "Oil change in 6 steps, no lift required.",
    "Lifted 3\" on 33s and ready for the trails.",
    "Pegboard walls keep every tool visible and within reach.",
    "Charging stops planned with an app, never waited more than 20 minutes.",
    "Which one would you drive: the Supra, the GT-R or the RX-7?",
};
constexpr std::string_view kVehicleTags[] = {
    "Cars",   "Classic Cars", "Car Restoration", "Van Life",   "Camper Van",
    "Trucks", "Motorcycles",  "Car Maintenance", "Dream Cars", "Garage Ideas",
};
constexpr std::string_view kVehicleBrands[] = {"Car Culture", "Garage Builds", "Van Life",
                                               "Classic Rides"};
constexpr CategoryText kVehicleText = {kVehicleTitleHeads, kVehicleSentences, kVehicleTags,
                                       kVehicleBrands};

// Indexed by CategoryId. Base weights and age affinities are invented but shaped like the data
// set: home decor and crafts lead overall; each age group has its own leader (beauty, home decor,
// crafts, travel), so the age-group rankings are worth computing.
constexpr CategoryContent kCategories[kCategoryCount] = {
    // name, base weight, affinity by age group (18-24, 25-35, 36-50, 50+), text
    {"art", 8, {3, 2, 2, 3}, kArtText},
    {"beauty", 10, {5, 3, 2, 1}, kBeautyText},
    {"christmas", 6, {1, 2, 3, 5}, kChristmasText},
    {"diy-and-crafts", 11, {2, 3, 5, 3}, kDiyText},
    {"education", 7, {4, 2, 2, 1}, kEducationText},
    {"event-planning", 7, {2, 4, 2, 1}, kEventText},
    {"finance", 6, {1, 3, 4, 2}, kFinanceText},
    {"home-decor", 12, {1, 4, 4, 2}, kHomeText},
    {"mens-fashion", 9, {4, 3, 2, 1}, kMensText},
    {"quotes", 9, {5, 2, 2, 2}, kQuotesText},
    {"tattoos", 8, {5, 3, 1, 1}, kTattooText},
    {"travel", 9, {3, 3, 3, 5}, kTravelText},
    {"vehicles", 6, {2, 2, 3, 5}, kVehicleText},
};
static_assert(kCategories[index_of(CategoryId::diy_and_crafts)].name == "diy-and-crafts");
static_assert(kCategories[index_of(CategoryId::vehicles)].name == "vehicles");

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

// Title parts around a category head: "25 Cozy Living Room Ideas ✨".
// Tails that read well after any head, so titles stay plausible in every category.
constexpr std::string_view kTitleTails[] = {
    "", "Ideas", "Inspiration", "You'll Love", "That Will Inspire You", "to Try This Year",
};
constexpr std::string_view kTitleCounts[] = {"5", "7", "10", "12", "15", "20", "25", "30", "50"};
constexpr std::string_view kTitleDecorations[] = {
    " ✨", " 😍", "!", " (Easy & Cheap)", " – Step by Step", " 💕", " 🔥", " \"Must Try\"",
};
constexpr std::uint32_t kTitleDecorationPer10k = 3'500;
constexpr std::uint32_t kTitleCountedPer10k = 2'000;  // "25 ... Ideas"

// Closing lines Pinterest posters append to descriptions.
constexpr std::string_view kDescriptionExtras[] = {
    "Follow us for more ideas! 💕",
    "Click the link for the full tutorial 👉",
    "Save this pin for later!",
    "What do you think? Let me know in the comments.",
    "Read more on the blog.",
    "Photo credit: the owner ❤️ (DM for removal)",
    "This post contains affiliate links.",
    "Like & share if you found this helpful 🙏",
};

// User and poster names: common names across several languages, with accents and apostrophes.
constexpr std::string_view kFirstNames[] = {
    "Abigail",   "Aaron",     "Adriana",     "Ahmed",    "Aiko",     "Alexander", "Amara",
    "Amelia",    "Andrea",    "Anna",        "Ava",      "Benjamin", "Camila",    "Carlos",
    "Charlotte", "Chloé",     "Christopher", "Daniel",   "David",    "Diego",     "Elena",
    "Elijah",    "Emily",     "Emma",        "Ethan",    "Fatima",   "François",  "Gabriel",
    "Grace",     "Hannah",    "Isaac",       "Isabella", "Jack",     "James",     "Jennifer",
    "José",      "Julia",     "Kevin",       "Laura",    "Liam",     "Lucas",     "Łukasz",
    "Maria",     "Mason",     "Mia",         "Michael",  "Nathan",   "Noah",      "Olivia",
    "Oliver",    "Priya",     "Renée",       "Sarah",    "Sofia",    "Sophia",    "Søren",
    "Thomas",    "Valentina", "William",     "Yuki",     "Zoë",      "Zoe",
};
constexpr std::string_view kLastNames[] = {
    "Ali",    "Anderson", "Bailey",    "Brown",     "Campbell", "Chen",     "Clark",
    "Davis",  "Díaz",     "Evans",     "Fernández", "García",   "Gonzalez", "Green",
    "Hall",   "Harris",   "Hernández", "Jackson",   "Johnson",  "Jones",    "Kim",
    "King",   "Kowalski", "Lee",       "Lewis",     "López",    "Martin",   "Martínez",
    "Miller", "Moore",    "Müller",    "Murphy",    "Nguyen",   "O'Brien",  "O'Connor",
    "Patel",  "Pérez",    "Robinson",  "Rodriguez", "Rossi",    "Sánchez",  "Schmidt",
    "Scott",  "Smith",    "Sørensen",  "Taylor",    "Thomas",   "Thompson", "Walker",
    "White",  "Williams", "Wilson",    "Wright",    "Young",    "Yamamoto", "Zhang",
};
constexpr std::string_view kBrandPrefixes[] = {"The",    "Simply", "Daily", "My",    "Our",
                                               "Little", "Modern", "Happy", "Oh So", "Just"};

struct Country {
    std::string_view name;
    std::uint32_t weight;      // relative share of posts: a long tail of rare countries
    std::int32_t latitude_e4;  // centre, in 1e-4 degrees: integers keep output bit-identical
    std::int32_t longitude_e4;
    std::int32_t spread_e4;  // half-width of the box around the centre that posts fall in
    CategoryId favourite;    // local taste, so the top category differs between countries
};

consteval std::int32_t e4(double degrees) {
    return static_cast<std::int32_t>(degrees * 10'000 + (degrees < 0 ? -0.5 : 0.5));
}

// Country names as Faker-generated data spells them, oddities included. The rare countries see
// few posts, so ties for their top category are common in runs of up to ~100k events.
constexpr Country kCountries[] = {
    {"United States of America", 200, e4(39.83), e4(-98.58), e4(12), CategoryId::home_decor},
    {"United Kingdom", 60, e4(54.0), e4(-2.0), e4(3), CategoryId::christmas},
    {"Canada", 40, e4(56.13), e4(-106.35), e4(10), CategoryId::travel},
    {"India", 35, e4(20.59), e4(78.96), e4(8), CategoryId::education},
    {"Australia", 30, e4(-25.27), e4(133.78), e4(10), CategoryId::travel},
    {"Germany", 30, e4(51.17), e4(10.45), e4(3), CategoryId::vehicles},
    {"France", 30, e4(46.23), e4(2.21), e4(3), CategoryId::art},
    {"Brazil", 30, e4(-14.24), e4(-51.93), e4(10), CategoryId::beauty},
    {"Mexico", 25, e4(23.63), e4(-102.55), e4(6), CategoryId::event_planning},
    {"Japan", 15, e4(36.2), e4(138.25), e4(4), CategoryId::art},
    {"Spain", 15, e4(40.46), e4(-3.75), e4(3), CategoryId::travel},
    {"Italy", 15, e4(41.87), e4(12.57), e4(3), CategoryId::mens_fashion},
    {"China", 10, e4(35.86), e4(104.2), e4(10), CategoryId::finance},
    {"Netherlands", 8, e4(52.13), e4(5.29), e4(1), CategoryId::diy_and_crafts},
    {"Poland", 8, e4(51.92), e4(19.15), e4(3), CategoryId::christmas},
    {"Russian Federation", 8, e4(61.52), e4(105.32), e4(15), CategoryId::vehicles},
    {"Indonesia", 8, e4(-0.79), e4(113.92), e4(8), CategoryId::event_planning},
    {"Philippines", 8, e4(12.88), e4(121.77), e4(4), CategoryId::quotes},
    {"Sweden", 6, e4(60.13), e4(18.64), e4(5), CategoryId::home_decor},
    {"Turkey", 6, e4(38.96), e4(35.24), e4(5), CategoryId::beauty},
    {"South Africa", 6, e4(-30.56), e4(22.94), e4(5), CategoryId::tattoos},
    {"Nigeria", 6, e4(9.08), e4(8.68), e4(4), CategoryId::mens_fashion},
    {"Korea", 6, e4(35.91), e4(127.77), e4(2), CategoryId::beauty},
    {"Ireland", 5, e4(53.41), e4(-8.24), e4(1), CategoryId::quotes},
    {"Portugal", 5, e4(39.4), e4(-8.22), e4(2), CategoryId::travel},
    {"Argentina", 5, e4(-38.42), e4(-63.62), e4(8), CategoryId::tattoos},
    {"Norway", 4, e4(60.47), e4(8.47), e4(4), CategoryId::christmas},
    {"Denmark", 4, e4(56.26), e4(9.5), e4(1), CategoryId::home_decor},
    {"Switzerland", 4, e4(46.82), e4(8.23), e4(1), CategoryId::finance},
    {"Austria", 4, e4(47.52), e4(14.55), e4(2), CategoryId::christmas},
    {"Belgium", 4, e4(50.5), e4(4.47), e4(1), CategoryId::diy_and_crafts},
    {"Greece", 4, e4(39.07), e4(21.82), e4(2), CategoryId::travel},
    {"Vietnam", 4, e4(14.06), e4(108.28), e4(4), CategoryId::tattoos},
    {"Thailand", 4, e4(15.87), e4(100.99), e4(4), CategoryId::travel},
    {"New Zealand", 4, e4(-40.9), e4(174.89), e4(4), CategoryId::travel},
    {"Colombia", 4, e4(4.57), e4(-74.3), e4(4), CategoryId::beauty},
    {"Pakistan", 4, e4(30.38), e4(69.35), e4(5), CategoryId::education},
    {"Finland", 3, e4(61.92), e4(25.75), e4(4), CategoryId::christmas},
    {"Kenya", 3, e4(-0.02), e4(37.91), e4(3), CategoryId::education},
    {"Egypt", 3, e4(26.82), e4(30.8), e4(4), CategoryId::finance},
    {"Malaysia", 3, e4(4.21), e4(101.98), e4(3), CategoryId::beauty},
    {"Chile", 3, e4(-35.68), e4(-71.54), e4(6), CategoryId::art},
    {"Peru", 3, e4(-9.19), e4(-75.02), e4(5), CategoryId::diy_and_crafts},
    {"Saudi Arabia", 3, e4(23.89), e4(45.08), e4(5), CategoryId::finance},
    {"United Arab Emirates", 3, e4(23.42), e4(53.85), e4(2), CategoryId::mens_fashion},
    {"Bangladesh", 3, e4(23.68), e4(90.36), e4(2), CategoryId::education},
    {"Czech Republic", 3, e4(49.82), e4(15.47), e4(2), CategoryId::art},
    {"Romania", 3, e4(45.94), e4(24.97), e4(3), CategoryId::beauty},
    {"Ukraine", 3, e4(48.38), e4(31.17), e4(5), CategoryId::art},
    {"Singapore", 2, e4(1.35), e4(103.82), e4(0.1), CategoryId::finance},
    {"Venezuela", 2, e4(6.42), e4(-66.59), e4(4), CategoryId::beauty},
    {"Israel", 2, e4(31.05), e4(34.85), e4(1), CategoryId::education},
    {"Morocco", 2, e4(31.79), e4(-7.09), e4(3), CategoryId::home_decor},
    {"Ghana", 2, e4(7.95), e4(-1.02), e4(2), CategoryId::event_planning},
    {"Hungary", 2, e4(47.16), e4(19.5), e4(2), CategoryId::christmas},
    {"Albania", 2, e4(41.15), e4(20.17), e4(1), CategoryId::diy_and_crafts},
    {"Côte d'Ivoire", 2, e4(7.54), e4(-5.55), e4(2), CategoryId::mens_fashion},
    {"Jamaica", 1, e4(18.11), e4(-77.3), e4(0.5), CategoryId::event_planning},
    {"Iceland", 1, e4(64.96), e4(-19.02), e4(2), CategoryId::travel},
    {"Afghanistan", 1, e4(33.94), e4(67.71), e4(3), CategoryId::education},
    {"Andorra", 1, e4(42.55), e4(1.6), e4(0.1), CategoryId::vehicles},
    {"Maldives", 1, e4(3.2), e4(73.22), e4(0.5), CategoryId::travel},
    {"Saint Barthélemy", 1, e4(17.9), e4(-62.83), e4(0.05), CategoryId::travel},
    {"Curaçao", 1, e4(12.17), e4(-68.99), e4(0.1), CategoryId::travel},
    {"Réunion", 1, e4(-21.12), e4(55.54), e4(0.2), CategoryId::tattoos},
    {"São Tomé and Príncipe", 1, e4(0.19), e4(6.61), e4(0.2), CategoryId::quotes},
    {"Åland Islands", 1, e4(60.18), e4(19.92), e4(0.3), CategoryId::vehicles},
    {"Libyan Arab Jamahiriya", 1, e4(26.34), e4(17.23), e4(5), CategoryId::vehicles},
    {"Holy See (Vatican City State)", 1, e4(41.9029), e4(12.4534), e4(0.005), CategoryId::art},
    {"Bouvet Island (Bouvetoya)", 1, e4(-54.42), e4(3.41), e4(0.05), CategoryId::finance},
    {"Antarctica (the territory South of 60 deg S)", 1, e4(-82.86), e4(135.0), e4(6),
     CategoryId::quotes},
};
constexpr std::size_t kCountryCount = std::size(kCountries);

constexpr std::array<std::uint32_t, kCountryCount> country_weights() {
    std::array<std::uint32_t, kCountryCount> weights{};
    for (std::size_t i = 0; i < kCountryCount; ++i) {
        weights[i] = kCountries[i].weight;
    }
    return weights;
}
constexpr std::array<std::uint32_t, kCountryCount> kCountryWeights = country_weights();

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
// JSON writing.

// Appends text as the body of a JSON string: escapes quote, backslash and control characters;
// UTF-8 passes through unchanged (valid JSON, and our tables are valid UTF-8). Copies runs of
// plain bytes at once, which is what keeps generation fast.
void append_escaped(std::string& out, std::string_view text) {
    constexpr std::string_view kHexDigits = "0123456789abcdef";
    std::size_t run_start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte >= 0x20 && byte != '"' && byte != '\\') {
            continue;
        }
        out.append(text.data() + run_start, i - run_start);
        run_start = i + 1;
        switch (byte) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                out += "\\u00";
                out += kHexDigits[byte >> 4];
                out += kHexDigits[byte & 0xf];
        }
    }
    out.append(text.data() + run_start, text.size() - run_start);
}

void append_int(std::string& out, std::int64_t value) {
    char digits[24];
    const auto result = std::to_chars(std::begin(digits), std::end(digits), value);
    out.append(digits, result.ptr);
}

// Two-digit and four-digit zero-padded fields for timestamps.
void append_padded(std::string& out, int value, int width) {
    char digits[4];
    for (int i = width - 1; i >= 0; --i) {
        digits[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    out.append(digits, static_cast<std::size_t>(width));
}

// "YYYY-MM-DD HH:MM:SS", UTC.
void append_timestamp(std::string& out, std::int64_t seconds) {
    const std::int64_t days = seconds / kSecondsPerDay;  // times here are after 1970: no flooring
    const auto second_of_day = static_cast<int>(seconds % kSecondsPerDay);
    const util::CivilDate date = util::civil_from_days(days);
    append_padded(out, static_cast<int>(date.year), 4);
    out += '-';
    append_padded(out, static_cast<int>(date.month), 2);
    out += '-';
    append_padded(out, static_cast<int>(date.day), 2);
    out += ' ';
    append_padded(out, second_of_day / 3600, 2);
    out += ':';
    append_padded(out, second_of_day / 60 % 60, 2);
    out += ':';
    append_padded(out, second_of_day % 60, 2);
}

// A JSON float from 1e-4 units, shortest form but always with a fraction ("12.0", "-0.0532"),
// so that readers see a float: -899787 -> "-89.9787".
void append_fixed_e4(std::string& out, std::int32_t value_e4) {
    if (value_e4 < 0) {
        out += '-';
        value_e4 = -value_e4;
    }
    append_int(out, value_e4 / 10'000);
    out += '.';
    char fraction[4];
    int remainder = value_e4 % 10'000;
    for (int i = 3; i >= 0; --i) {
        fraction[i] = static_cast<char>('0' + remainder % 10);
        remainder /= 10;
    }
    std::size_t length = 4;
    while (length > 1 && fraction[length - 1] == '0') {
        --length;
    }
    out.append(fraction, length);
}

// Writes one JSON object field by field into a string. Keys are our own ASCII literals and are
// written without escaping.
class JsonObjectWriter {
  public:
    explicit JsonObjectWriter(std::string& out) : m_out(out) { m_out += '{'; }

    void add_int(std::string_view key, std::int64_t value) {
        add_key(key);
        append_int(m_out, value);
    }
    void add_string(std::string_view key, std::string_view value) {
        begin_string(key);
        append_escaped(m_out, value);
        end_string();
    }
    void add_degrees(std::string_view key, std::int32_t value_e4) {
        add_key(key);
        append_fixed_e4(m_out, value_e4);
    }
    void add_timestamp(std::string_view key, std::int64_t seconds) {
        begin_string(key);
        append_timestamp(m_out, seconds);
        end_string();
    }

    // A string value assembled from pieces, without a temporary string.
    void begin_string(std::string_view key) {
        add_key(key);
        m_out += '"';
    }
    void append(std::string_view piece) { append_escaped(m_out, piece); }
    void append_number(std::int64_t value) { append_int(m_out, value); }
    void end_string() { m_out += '"'; }

    void close() { m_out += '}'; }

  private:
    void add_key(std::string_view key) {
        if (!m_first) {
            m_out += ',';
        }
        m_first = false;
        m_out += '"';
        m_out += key;
        m_out += "\":";
    }

    std::string& m_out;
    bool m_first = true;
};

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
    const util::CivilDate posted = util::civil_from_days(posted_at / kSecondsPerDay);
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
    constexpr std::string_view kHexDigits = "0123456789abcdef";
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
    constexpr std::string_view kHexDigits = "0123456789abcdef";
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
