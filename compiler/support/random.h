// Random numbers that reproduce anywhere (data pipeline, search strategies, spaces).
//
// The standard library's engines are portable but its distributions and std::shuffle are
// not (libstdc++ and libc++ draw differently), so the data pipeline uses these instead:
// `counter_hash` is a stateless hash of a key (seed, epoch, sample, stream...) for draws that
// must not depend on the order in which they are made (augmentation, whatever the batch size
// or thread count), and `SplitMix64` is a small sequential generator for shuffles.
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <numbers>
#include <utility>
#include <vector>

namespace nas {

// SplitMix64's finaliser: a bijection of 64-bit words with good avalanche.
constexpr uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// A hash of an ordered key; different keys (or the same words in another order) give
// unrelated values.
constexpr uint64_t counter_hash(std::initializer_list<uint64_t> key) {
  uint64_t h = 0x6a09e667f3bcc909ull;
  for (uint64_t word : key) h = mix64(h ^ mix64(word));
  return h;
}

// Uniform in [0, bound) from one 64-bit word (Lemire's multiply-shift; the bias is below
// bound / 2^64, far below anything a data pipeline can see).
inline uint64_t below(uint64_t word, uint64_t bound) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(word) * bound) >> 64);
}

// Uniform in [0, 1) with 53 random bits.
inline double unit_double(uint64_t word) {
  return static_cast<double>(word >> 11) * 0x1.0p-53;
}

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ull;
    uint64_t x = state_;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  }
  uint64_t below(uint64_t bound) { return nas::below(next(), bound); }
  double uniform() { return unit_double(next()); }
  // Standard normal by Box-Muller (one value per call; simple over fast).
  double normal() {
    const double u1 = 1.0 - uniform();  // in (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

 private:
  uint64_t state_;
};

// Fisher-Yates shuffle of `values` driven by `rng`.
template <class T>
void shuffle(std::vector<T>& values, SplitMix64& rng) {
  for (size_t i = values.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng.below(i));
    std::swap(values[i - 1], values[j]);
  }
}

}  // namespace nas
