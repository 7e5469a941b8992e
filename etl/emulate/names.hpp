// The generator's user and poster names: common names across several languages, with accents
// and apostrophes.
#pragma once

#include <string_view>

namespace pinpipe::emulate {

inline constexpr std::string_view kFirstNames[] = {
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
inline constexpr std::string_view kLastNames[] = {
    "Ali",    "Anderson", "Bailey",    "Brown",     "Campbell", "Chen",     "Clark",
    "Davis",  "Díaz",     "Evans",     "Fernández", "García",   "Gonzalez", "Green",
    "Hall",   "Harris",   "Hernández", "Jackson",   "Johnson",  "Jones",    "Kim",
    "King",   "Kowalski", "Lee",       "Lewis",     "López",    "Martin",   "Martínez",
    "Miller", "Moore",    "Müller",    "Murphy",    "Nguyen",   "O'Brien",  "O'Connor",
    "Patel",  "Pérez",    "Robinson",  "Rodriguez", "Rossi",    "Sánchez",  "Schmidt",
    "Scott",  "Smith",    "Sørensen",  "Taylor",    "Thomas",   "Thompson", "Walker",
    "White",  "Williams", "Wilson",    "Wright",    "Young",    "Yamamoto", "Zhang",
};
inline constexpr std::string_view kBrandPrefixes[] = {"The",    "Simply", "Daily", "My",    "Our",
                                                      "Little", "Modern", "Happy", "Oh So", "Just"};

}  // namespace pinpipe::emulate
