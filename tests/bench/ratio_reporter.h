// The console reporter of the core benchmarks, which also keeps every run's
// figures, and the table of ratios printed from them once all have run.
//
// With repetitions, the console shows each benchmark's median and its best
// repetition (the one with the least CPU time). A ratio of two separate
// benchmarks uses their best repetitions, the figures least disturbed by
// other work on the machine; a paired ratio (two operations timed alternately
// in one benchmark, which reports the ratio itself as counters) uses the
// median over the repetitions. Ratios are of CPU time; the same ratio in
// wall-clock time is printed beside it.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace signet::bench {

struct Measurement {
  double real_ns = 0;            // per iteration
  double cpu_ns = 0;             // per iteration
  double bytes_per_second = 0;   // 0 when the benchmark sets no byte count
  std::int64_t iterations = 0;
  std::map<std::string, double> counters;
};

class RecordingReporter final : public benchmark::ConsoleReporter {
 public:
  using benchmark::ConsoleReporter::ConsoleReporter;

  void ReportRuns(const std::vector<Run>& runs) override;

  // The best repetition of a benchmark (the median when only aggregates were
  // reported); nothing when it did not run or failed.
  std::optional<Measurement> best(std::string_view name) const;
  // The median over the repetitions of one of a benchmark's counters.
  std::optional<double> medianCounter(std::string_view name, const std::string& counter) const;
  // "name: message" for each run that reported an error.
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::map<std::string, Run, std::less<>> best_runs_;
  std::map<std::string, std::vector<Measurement>, std::less<>> runs_;
  std::map<std::string, Measurement, std::less<>> medians_;
  std::vector<std::string> errors_;
};

enum class Goal { none, at_most, at_least };

// One row: the summed per-iteration times of `numerator` over those of
// `denominator`, or, when `paired` names a benchmark, its counters cpu_ratio
// and wall_ratio (time of the Signet operation over the raw one). A
// throughput row shows the inverse, so that higher is faster (both sides must
// then process the same bytes).
struct Ratio {
  std::string label;
  std::vector<std::string> numerator;
  std::vector<std::string> denominator;
  bool throughput = false;
  Goal goal = Goal::none;
  double target = 0;
  std::string paired;
};

// Prints the table and the figures it used; returns how many targets were missed.
int printRatioTable(std::ostream& out, const RecordingReporter& reporter, std::span<const Ratio> ratios);

}  // namespace signet::bench
