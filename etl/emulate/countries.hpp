// The generator's countries: where posts come from, how often, and each country's local taste.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "emulate/categories.hpp"

namespace pinpipe::emulate {

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
inline constexpr Country kCountries[] = {
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
inline constexpr std::size_t kCountryCount = std::size(kCountries);

// The weights alone, in the form Rng::pick_weighted takes.
inline constexpr std::array<std::uint32_t, kCountryCount> kCountryWeights = [] {
    std::array<std::uint32_t, kCountryCount> weights{};
    for (std::size_t i = 0; i < kCountryCount; ++i) {
        weights[i] = kCountries[i].weight;
    }
    return weights;
}();

}  // namespace pinpipe::emulate
