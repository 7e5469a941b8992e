// The generator's categories and the text their pins are assembled from. Text is UTF-8 and
// deliberately carries what JSON must escape (quotes, backslashes, newlines) and what a
// byte-oriented pipeline must not mangle (accents, emoji).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace pinpipe::emulate {

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
inline constexpr std::size_t kCategoryCount = 13;

enum class AgeGroup : std::uint8_t { from_18_to_24, from_25_to_35, from_36_to_50, over_50 };
inline constexpr std::size_t kAgeGroupCount = 4;

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

inline constexpr std::string_view kArtTitleHeads[] = {
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
inline constexpr std::string_view kArtSentences[] = {
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
inline constexpr std::string_view kArtTags[] = {
    "Art",        "Painting",     "Watercolor Art",  "Acrylic Painting", "Drawing Ideas",
    "Sketchbook", "Abstract Art", "Art Inspiration", "Canvas Art",       "Art Tutorials",
};
inline constexpr std::string_view kArtBrands[] = {"Art Studio", "Brush Strokes", "Canvas & Co",
                                                  "Sketchbook Diaries"};
inline constexpr CategoryText kArtText = {kArtTitleHeads, kArtSentences, kArtTags, kArtBrands};

inline constexpr std::string_view kBeautyTitleHeads[] = {
    "Natural Makeup Look", "Skincare Routine",    "Winter Nail Art",
    "Braided Hairstyles",  "Smokey Eye",          "Glowing Skin Tips",
    "Curly Hair Routine",  "Summer Nail Designs", "Brow Shaping",
};
inline constexpr std::string_view kBeautySentences[] = {
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
inline constexpr std::string_view kBeautyTags[] = {
    "Beauty",          "Makeup",      "Skincare",     "Nail Art", "Hairstyles",
    "Makeup Tutorial", "Beauty Tips", "Glowing Skin", "Nails",    "Hair Care",
};
inline constexpr std::string_view kBeautyBrands[] = {"Beauty Tips", "Glow Guide", "Makeup Looks",
                                                     "Nail Designs"};
inline constexpr CategoryText kBeautyText = {kBeautyTitleHeads, kBeautySentences, kBeautyTags,
                                             kBeautyBrands};

inline constexpr std::string_view kChristmasTitleHeads[] = {
    "DIY Christmas Ornament",  "Christmas Tree Decorating", "Holiday Table Setting",
    "Christmas Cookie Recipe", "Rustic Christmas Decor",    "Advent Calendar",
    "Elf on the Shelf",        "Christmas Gift Wrapping",   "Festive Front Porch",
};
inline constexpr std::string_view kChristmasSentences[] = {
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
inline constexpr std::string_view kChristmasTags[] = {
    "Christmas", "Christmas Decorations", "Christmas Crafts",  "Holiday Decor", "Christmas Tree",
    "Xmas",      "Christmas Gifts",       "Christmas Cookies", "Noël",          "Holiday Baking",
};
inline constexpr std::string_view kChristmasBrands[] = {"Christmas Ideas", "Holiday Magic",
                                                        "Merry Makers", "Yuletide Home"};
inline constexpr CategoryText kChristmasText = {kChristmasTitleHeads, kChristmasSentences,
                                                kChristmasTags, kChristmasBrands};

inline constexpr std::string_view kDiyTitleHeads[] = {
    "Easy Paper Flower",    "Mason Jar Craft", "Upcycled Furniture",
    "Macrame Plant Hanger", "Kids Craft",      "Resin Coaster",
    "Cricut Project",       "Crochet Blanket", "Dollar Store DIY",
};
inline constexpr std::string_view kDiySentences[] = {
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
inline constexpr std::string_view kDiyTags[] = {
    "DIY",     "Crafts",  "DIY Projects", "Crafts For Kids", "Upcycling",
    "Crochet", "Macrame", "Cricut",       "Handmade",        "DIY Home Decor",
};
inline constexpr std::string_view kDiyBrands[] = {"Crafty Nest", "DIY Projects",
                                                  "Handmade Happiness", "Craft Corner"};
inline constexpr CategoryText kDiyText = {kDiyTitleHeads, kDiySentences, kDiyTags, kDiyBrands};

inline constexpr std::string_view kEducationTitleHeads[] = {
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
inline constexpr std::string_view kEducationSentences[] = {
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
inline constexpr std::string_view kEducationTags[] = {
    "Education",  "Teaching",          "Homeschool", "Classroom",       "Study Tips",
    "Worksheets", "Teacher Resources", "Learning",   "Kids Activities", "Study Motivation",
};
inline constexpr std::string_view kEducationBrands[] = {"Teaching Resources", "Classroom Ideas",
                                                        "Study Hub", "Homeschool Life"};
inline constexpr CategoryText kEducationText = {kEducationTitleHeads, kEducationSentences,
                                                kEducationTags, kEducationBrands};

inline constexpr std::string_view kEventTitleHeads[] = {
    "Rustic Wedding Decor", "Baby Shower",      "Birthday Party Theme",
    "Bridal Shower Game",   "Graduation Party", "Outdoor Wedding Reception",
    "Dessert Table",        "Engagement Party", "Gender Reveal",
};
inline constexpr std::string_view kEventSentences[] = {
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
inline constexpr std::string_view kEventTags[] = {
    "Party Ideas",         "Wedding",           "Wedding Decorations", "Baby Shower",
    "Birthday Party",      "Party Decorations", "Event Planning",      "Bridal Shower",
    "Wedding Inspiration", "Party Themes",
};
inline constexpr std::string_view kEventBrands[] = {"Party Planning", "Wedding Ideas",
                                                    "Celebrations", "Event Styling"};
inline constexpr CategoryText kEventText = {kEventTitleHeads, kEventSentences, kEventTags,
                                            kEventBrands};

inline constexpr std::string_view kFinanceTitleHeads[] = {
    "Budgeting",     "Money Saving Challenge",  "Debt Payoff Plan", "Side Hustle",    "Investing",
    "Frugal Living", "Monthly Budget Template", "Emergency Fund",   "Passive Income",
};
inline constexpr std::string_view kFinanceSentences[] = {
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
inline constexpr std::string_view kFinanceTags[] = {
    "Personal Finance", "Budgeting", "Money Saving Tips", "Frugal Living",     "Debt Free",
    "Save Money",       "Investing", "Side Hustle",       "Financial Freedom", "Budget Planner",
};
inline constexpr std::string_view kFinanceBrands[] = {"Money Tips", "Budget Mom", "Frugal Finance",
                                                      "Wealth Journal"};
inline constexpr CategoryText kFinanceText = {kFinanceTitleHeads, kFinanceSentences, kFinanceTags,
                                              kFinanceBrands};

inline constexpr std::string_view kHomeTitleHeads[] = {
    "Cozy Living Room",  "Small Bedroom Makeover", "Boho Bathroom",
    "Farmhouse Kitchen", "Scandinavian Interior",  "Gallery Wall",
    "Modern Entryway",   "Reading Nook",           "Rental-Friendly Apartment Decor",
};
inline constexpr std::string_view kHomeSentences[] = {
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
inline constexpr std::string_view kHomeTags[] = {
    "Home Decor", "Living Room Decor", "Bedroom Ideas", "Interior Design", "Farmhouse Decor",
    "Boho Decor", "Apartment Decor",   "Home Design",   "Cozy Home",       "Small Spaces",
};
inline constexpr std::string_view kHomeBrands[] = {"Home Decor Ideas", "Cozy Nest",
                                                   "Interior Diaries", "House & Home"};
inline constexpr CategoryText kHomeText = {kHomeTitleHeads, kHomeSentences, kHomeTags, kHomeBrands};

inline constexpr std::string_view kMensTitleHeads[] = {
    "Casual Men's Outfit", "Smart Casual Style",     "Streetwear Look",
    "Fall Layering",       "Men's Capsule Wardrobe", "Suit Fitting",
    "Minimalist Sneaker",  "Summer Linen Shirt",     "Denim Jacket Outfit",
};
inline constexpr std::string_view kMensSentences[] = {
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
inline constexpr std::string_view kMensTags[] = {
    "Mens Fashion", "Mens Outfits", "Mens Style",    "Streetwear", "Casual Outfits",
    "Menswear",     "Street Style", "Mens Clothing", "Suits",      "Fashion",
};
inline constexpr std::string_view kMensBrands[] = {"Mens Style", "Dapper Daily",
                                                   "Gentleman's Guide", "Streetwear Lab"};
inline constexpr CategoryText kMensText = {kMensTitleHeads, kMensSentences, kMensTags, kMensBrands};

inline constexpr std::string_view kQuotesTitleHeads[] = {
    "Motivational Quote",   "Self Love Quote",     "Life Quote",
    "Funny Quote",          "Inspirational Quote", "Friendship Quote",
    "Positive Affirmation", "Deep Thought",        "Monday Motivation",
};
inline constexpr std::string_view kQuotesSentences[] = {
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
inline constexpr std::string_view kQuotesTags[] = {
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
inline constexpr std::string_view kQuotesBrands[] = {"Quotes Daily", "Words to Live By",
                                                     "Positive Vibes", "Daily Inspiration"};
inline constexpr CategoryText kQuotesText = {kQuotesTitleHeads, kQuotesSentences, kQuotesTags,
                                             kQuotesBrands};

inline constexpr std::string_view kTattooTitleHeads[] = {
    "Fine Line Tattoo",   "Small Wrist Tattoo",    "Floral Sleeve",
    "Minimalist Tattoo",  "Matching Tattoo",       "Geometric Tattoo",
    "Script Tattoo Font", "Japanese Style Tattoo", "Tattoo Aftercare",
};
inline constexpr std::string_view kTattooSentences[] = {
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
inline constexpr std::string_view kTattooTags[] = {
    "Tattoos",           "Tattoo Ideas",   "Small Tattoos", "Fine Line Tattoo",  "Tattoo Designs",
    "Minimalist Tattoo", "Sleeve Tattoos", "Ink",           "Tattoos For Women", "Body Art",
};
inline constexpr std::string_view kTattooBrands[] = {"Tattoo Ideas", "Ink Inspiration",
                                                     "Fine Line Studio", "Tattoo Designs"};
inline constexpr CategoryText kTattooText = {kTattooTitleHeads, kTattooSentences, kTattooTags,
                                             kTattooBrands};

inline constexpr std::string_view kTravelTitleHeads[] = {
    "Italy Itinerary", "Portugal Hidden Gem", "Bali Travel",
    "Road Trip",       "Europe Packing List", "Iceland Ring Road Stop",
    "Budget Travel",   "Greek Island",        "Paris Weekend",
};
inline constexpr std::string_view kTravelSentences[] = {
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
inline constexpr std::string_view kTravelTags[] = {
    "Travel",        "Travel Tips", "Travel Destinations", "Wanderlust",         "Travel Guide",
    "Europe Travel", "Road Trip",   "Beach Vacation",      "Travel Photography", "Bucket List",
};
inline constexpr std::string_view kTravelBrands[] = {"Travel Guide", "Wanderlust Diaries",
                                                     "Passport & Pixels", "Travel Tips"};
inline constexpr CategoryText kTravelText = {kTravelTitleHeads, kTravelSentences, kTravelTags,
                                             kTravelBrands};

inline constexpr std::string_view kVehicleTitleHeads[] = {
    "Classic Car Restoration", "Camper Van Conversion",  "Off-Road Truck Build",
    "Motorcycle Maintenance",  "Vintage Volkswagen Bus", "Electric Car Road Trip",
    "Garage Organization",     "JDM Car Build",          "Muscle Car",
};
inline constexpr std::string_view kVehicleSentences[] = {
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
inline constexpr std::string_view kVehicleTags[] = {
    "Cars",   "Classic Cars", "Car Restoration", "Van Life",   "Camper Van",
    "Trucks", "Motorcycles",  "Car Maintenance", "Dream Cars", "Garage Ideas",
};
inline constexpr std::string_view kVehicleBrands[] = {"Car Culture", "Garage Builds", "Van Life",
                                                      "Classic Rides"};
inline constexpr CategoryText kVehicleText = {kVehicleTitleHeads, kVehicleSentences, kVehicleTags,
                                              kVehicleBrands};

// Indexed by CategoryId. Base weights and age affinities are invented but shaped like the data
// set: home decor and crafts lead overall; each age group has its own leader (beauty, home decor,
// crafts, travel), so the age-group rankings are worth computing.
inline constexpr CategoryContent kCategories[kCategoryCount] = {
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

// Title parts around a category head: "25 Cozy Living Room Ideas ✨".
// Tails that read well after any head, so titles stay plausible in every category.
inline constexpr std::string_view kTitleTails[] = {
    "", "Ideas", "Inspiration", "You'll Love", "That Will Inspire You", "to Try This Year",
};
inline constexpr std::string_view kTitleCounts[] = {"5",  "7",  "10", "12", "15",
                                                    "20", "25", "30", "50"};
inline constexpr std::string_view kTitleDecorations[] = {
    " ✨", " 😍", "!", " (Easy & Cheap)", " – Step by Step", " 💕", " 🔥", " \"Must Try\"",
};

// Closing lines Pinterest posters append to descriptions.
inline constexpr std::string_view kDescriptionExtras[] = {
    "Follow us for more ideas! 💕",
    "Click the link for the full tutorial 👉",
    "Save this pin for later!",
    "What do you think? Let me know in the comments.",
    "Read more on the blog.",
    "Photo credit: the owner ❤️ (DM for removal)",
    "This post contains affiliate links.",
    "Like & share if you found this helpful 🙏",
};

}  // namespace pinpipe::emulate
