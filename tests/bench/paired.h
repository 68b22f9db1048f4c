// Timing two operations in interleaved pairs, for the ratio of their costs
// on a machine whose load changes while the benchmarks run.
//
// Two separate benchmarks run seconds apart, and on a shared machine the load
// can change in between. Here the Signet operation and its raw reference run
// alternately, one right after the other (in alternating order), each timed
// on its own; the benchmark's counters are the medians of the per-pair ratios
// (Signet over raw), in thread CPU time ("cpu_ratio") and in wall-clock time
// ("wall_ratio").
#pragma once

#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace signet::bench {

struct Sample {
  double cpu = 0;   // seconds of this thread's CPU time
  double wall = 0;  // seconds
};

inline double threadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// Runs `operation` (which returns whether it worked) and times it.
template <typename Operation>
bool timed(Operation&& operation, Sample& sample) {
  const double cpu = threadCpuSeconds();
  const auto wall = std::chrono::steady_clock::now();
  const bool ok = operation();
  sample.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
  sample.cpu = threadCpuSeconds() - cpu;
  return ok;
}

inline double median(std::vector<double> values) {
  if (values.empty()) return 0;
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  return *middle;
}

// The body of a paired benchmark: one pair per iteration.
template <typename SignetOperation, typename RawOperation>
void pairedRatio(benchmark::State& state, SignetOperation&& signet, RawOperation&& raw) {
  std::vector<double> cpu_ratios;
  std::vector<double> wall_ratios;
  bool signet_first = true;
  for (auto _ : state) {
    Sample s;
    Sample r;
    const bool ok = signet_first ? timed(signet, s) && timed(raw, r) : timed(raw, r) && timed(signet, s);
    if (!ok) {
      state.SkipWithError("an operation failed");
      return;
    }
    signet_first = !signet_first;
    if (s.cpu > 0 && r.cpu > 0) cpu_ratios.push_back(s.cpu / r.cpu);
    if (s.wall > 0 && r.wall > 0) wall_ratios.push_back(s.wall / r.wall);
  }
  state.counters["cpu_ratio"] = median(cpu_ratios);
  state.counters["wall_ratio"] = median(wall_ratios);
}

}  // namespace signet::bench
