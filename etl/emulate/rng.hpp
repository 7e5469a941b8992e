// The generator's randomness: splitmix64 plus integer range mapping, specified down to the bit,
// so that a seed gives the same events on every platform (std:: distributions are
// implementation-defined). Header-only: these run several hundred times per event.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace pinpipe::emulate {

inline constexpr std::uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ULL;

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

}  // namespace pinpipe::emulate
