// The machine's fp32 FMA peak in GFLOP/s: each thread runs independent chains of fused
// multiply-adds in vector registers (more chains than FMA latency x FMA ports, so the
// units never wait), on the widest vectors the compiler was allowed (-march=native), and
// on 256-bit ones for comparison. Same protocol as the rest of the study: a warm-up, then
// runs until >= 10 and >= 0.2 s; the median run counts (per thread; the threads' rates
// add up; gflops_wall, all FLOPs over the wall time, is lower when other processes took
// the cores). Runs are short, like the layers' runs, so that other processes on a shared
// machine rarely interrupt one.
//
//   g++ -O2 -march=native -pthread fma_peak.cc -o fma_peak && ./fma_peak --threads 2
//
// Prints one JSON object per vector width.
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kChains = 12;              // independent accumulators per thread
constexpr long kIterations = 100'000;  // per run: ~0.2-1 ms, shorter than a time slice

// acc = acc * a + b with a < 1 converges to b / (1 - a) = 1: no overflow, no denormals.
// Twelve named accumulators (not an array, which GCC would keep in memory).
template <class V, V (*Fma)(V, V, V), V (*Set1)(float)>
float fma_chains(long iterations) {
  V c0 = Set1(1.00f), c1 = Set1(1.01f), c2 = Set1(1.02f), c3 = Set1(1.03f);
  V c4 = Set1(1.04f), c5 = Set1(1.05f), c6 = Set1(1.06f), c7 = Set1(1.07f);
  V c8 = Set1(1.08f), c9 = Set1(1.09f), c10 = Set1(1.10f), c11 = Set1(1.11f);
  const V a = Set1(0.999999f), b = Set1(0.000001f);
  for (long it = 0; it < iterations; ++it) {
    c0 = Fma(c0, a, b), c1 = Fma(c1, a, b), c2 = Fma(c2, a, b), c3 = Fma(c3, a, b);
    c4 = Fma(c4, a, b), c5 = Fma(c5, a, b), c6 = Fma(c6, a, b), c7 = Fma(c7, a, b);
    c8 = Fma(c8, a, b), c9 = Fma(c9, a, b), c10 = Fma(c10, a, b), c11 = Fma(c11, a, b);
    // Keeps the compiler from merging or hoisting iterations.
    asm volatile("" : "+x"(c0), "+x"(c1), "+x"(c2), "+x"(c3), "+x"(c4), "+x"(c5), "+x"(c6),
                 "+x"(c7), "+x"(c8), "+x"(c9), "+x"(c10), "+x"(c11));
  }
  const V sum = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
  float lanes[sizeof(V) / sizeof(float)];
  std::memcpy(lanes, &sum, sizeof(V));
  float total = 0;
  for (float x : lanes) total += x;
  return total;
}

__m256 fma256(__m256 a, __m256 b, __m256 c) { return _mm256_fmadd_ps(a, b, c); }
__m256 set256(float x) { return _mm256_set1_ps(x); }
#ifdef __AVX512F__
__m512 fma512(__m512 a, __m512 b, __m512 c) { return _mm512_fmadd_ps(a, b, c); }
__m512 set512(float x) { return _mm512_set1_ps(x); }
#endif

using Kernel = float (*)(long);

// One thread's runs: the kernel over and over until >= 10 runs and >= 0.2 s, each timed.
// The threads run at the same time (they start together and run for the same span), so the
// sum of their rates is the machine's rate with that many threads busy.
std::vector<double> timed_runs(Kernel kernel, volatile float* sink) {
  std::vector<double> seconds;
  double total = 0;
  while (seconds.size() < 10 || total < 0.2) {
    const auto start = std::chrono::steady_clock::now();
    *sink = kernel(kIterations);
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    total += seconds.back();
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds;
}

void measure(const char* isa, int lanes, Kernel kernel, int threads) {
  std::vector<float> sink(threads);
  std::vector<std::vector<double>> seconds(threads);
  kernel(kIterations * 20);  // warm-up (and clock ramp-up)
  std::vector<std::thread> pool;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] { seconds[t] = timed_runs(kernel, &sink[t]); });
  for (std::thread& th : pool) th.join();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double flops_per_run = 2.0 * lanes * kChains * kIterations;
  double median = 0, best = 0, worst = 0;
  size_t repeats = 0;
  for (const std::vector<double>& s : seconds) {
    median += flops_per_run / s[s.size() / 2] * 1e-9;
    best += flops_per_run / s.front() * 1e-9;
    worst += flops_per_run / s.back() * 1e-9;
    repeats += s.size();
  }
  std::printf(
      "{\"isa\": \"%s\", \"lanes\": %d, \"threads\": %d, \"gflops\": %.2f, "
      "\"gflops_best\": %.2f, \"gflops_worst\": %.2f, \"repeats\": %zu, \"chains\": %d, "
      "\"gflops_wall\": %.2f, \"check\": %g}\n",
      isa, lanes, threads, median, best, worst, repeats, kChains,
      flops_per_run * static_cast<double>(repeats) / wall * 1e-9, static_cast<double>(sink[0]));
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--threads N]\n", argv[0]);
      return 2;
    }
  }
  if (threads < 1) {
    std::fprintf(stderr, "--threads must be positive\n");
    return 2;
  }
  measure("avx2", 8, fma_chains<__m256, fma256, set256>, threads);
#ifdef __AVX512F__
  measure("avx512", 16, fma_chains<__m512, fma512, set512>, threads);
#endif
  return 0;
}
