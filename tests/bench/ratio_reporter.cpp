#include "ratio_reporter.h"

#include <algorithm>
#include <cstdio>
#include <set>

namespace signet::bench {
namespace {

double nanosecondsPer(benchmark::TimeUnit unit) {
  switch (unit) {
    case benchmark::kNanosecond: return 1.0;
    case benchmark::kMicrosecond: return 1e3;
    case benchmark::kMillisecond: return 1e6;
    case benchmark::kSecond: return 1e9;
  }
  return 1.0;
}

Measurement measure(const benchmark::BenchmarkReporter::Run& run) {
  Measurement m;
  m.real_ns = run.GetAdjustedRealTime() * nanosecondsPer(run.time_unit);
  m.cpu_ns = run.GetAdjustedCPUTime() * nanosecondsPer(run.time_unit);
  for (const auto& [name, counter] : run.counters) m.counters[name] = counter.value;
  if (const auto it = m.counters.find("bytes_per_second"); it != m.counters.end()) m.bytes_per_second = it->second;
  m.iterations = static_cast<std::int64_t>(run.iterations);
  return m;
}

std::string format(const char* pattern, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, pattern, value);
  return buffer;
}

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

struct RatioValue {
  double cpu;
  double real;
};

// Summed times of the numerator over those of the denominator (inverted for throughput).
std::optional<RatioValue> separateRatio(const RecordingReporter& reporter, const Ratio& r,
                                        std::set<std::string>& used) {
  double num_cpu = 0, num_real = 0, den_cpu = 0, den_real = 0;
  bool complete = true;
  auto add = [&](const std::vector<std::string>& names, double& cpu, double& real) {
    for (const auto& name : names) {
      used.insert(name);
      const auto m = reporter.best(name);
      if (!m) {
        complete = false;
        continue;
      }
      cpu += m->cpu_ns;
      real += m->real_ns;
    }
  };
  add(r.numerator, num_cpu, num_real);
  add(r.denominator, den_cpu, den_real);
  if (!complete || num_cpu <= 0 || den_cpu <= 0 || num_real <= 0 || den_real <= 0) return std::nullopt;
  if (r.throughput) return RatioValue{den_cpu / num_cpu, den_real / num_real};
  return RatioValue{num_cpu / den_cpu, num_real / den_real};
}

std::optional<RatioValue> pairedRatio(const RecordingReporter& reporter, const Ratio& r) {
  const auto cpu = reporter.medianCounter(r.paired, "cpu_ratio");
  const auto real = reporter.medianCounter(r.paired, "wall_ratio");
  if (!cpu || !real || *cpu <= 0 || *real <= 0) return std::nullopt;
  if (r.throughput) return RatioValue{1 / *cpu, 1 / *real};
  return RatioValue{*cpu, *real};
}

}  // namespace

void RecordingReporter::ReportRuns(const std::vector<Run>& runs) {
  std::vector<Run> shown;
  for (const Run& run : runs) {
    const std::string name = run.run_name.str();
    if (run.error_occurred) {
      errors_.push_back(name + ": " + run.error_message);
      shown.push_back(run);
      continue;
    }
    if (run.run_type == Run::RT_Iteration) {
      const Measurement m = measure(run);
      const auto current = best(name);
      if (!current || m.cpu_ns < current->cpu_ns) best_runs_.insert_or_assign(name, run);
      runs_[name].push_back(m);
      if (run.repetitions <= 1) shown.push_back(run);
    } else if (run.aggregate_name == "median") {
      medians_[name] = measure(run);
      shown.push_back(run);
      if (const auto it = best_runs_.find(name); it != best_runs_.end()) {
        Run best = it->second;
        best.run_type = Run::RT_Aggregate;
        best.aggregate_name = "best";
        best.aggregate_unit = benchmark::kTime;
        shown.push_back(best);
      }
    }
  }
  if (!shown.empty()) ConsoleReporter::ReportRuns(shown);
}

std::optional<Measurement> RecordingReporter::best(std::string_view name) const {
  if (const auto it = runs_.find(name); it != runs_.end() && !it->second.empty())
    return *std::min_element(it->second.begin(), it->second.end(),
                             [](const Measurement& a, const Measurement& b) { return a.cpu_ns < b.cpu_ns; });
  if (const auto it = medians_.find(name); it != medians_.end()) return it->second;
  return std::nullopt;
}

std::optional<double> RecordingReporter::medianCounter(std::string_view name, const std::string& counter) const {
  std::vector<double> values;
  if (const auto it = runs_.find(name); it != runs_.end()) {
    for (const auto& m : it->second)
      if (const auto c = m.counters.find(counter); c != m.counters.end()) values.push_back(c->second);
  }
  if (values.empty()) {
    const auto it = medians_.find(name);
    if (it == medians_.end()) return std::nullopt;
    const auto c = it->second.counters.find(counter);
    if (c == it->second.counters.end()) return std::nullopt;
    return c->second;
  }
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

int printRatioTable(std::ostream& out, const RecordingReporter& reporter, std::span<const Ratio> ratios) {
  constexpr std::size_t kLabelWidth = 66;
  int missed = 0;
  std::set<std::string> used;
  out << "\n" << pad("ratio (CPU time)", kLabelWidth) << "measured   target     status  wall-clock\n";
  for (const Ratio& r : ratios) {
    std::string line = pad(r.label, kLabelWidth);
    const auto result = r.paired.empty() ? separateRatio(reporter, r, used) : pairedRatio(reporter, r);
    if (!result) {
      out << line << "n/a (not run or failed)\n";
      continue;
    }
    const auto [cpu, real] = *result;
    line += pad(format("%7.2fx", cpu), 11);
    std::string status;
    switch (r.goal) {
      case Goal::none: line += pad("-", 11); break;
      case Goal::at_most:
        line += pad(format("<= %.2fx", r.target), 11);
        status = cpu <= r.target ? "ok" : "MISSED";
        break;
      case Goal::at_least:
        line += pad(format(">= %.2fx", r.target), 11);
        status = cpu >= r.target ? "ok" : "MISSED";
        break;
    }
    if (status == "MISSED") ++missed;
    line += pad(status, 8) + format("%7.2fx", real);
    out << line << "\n";
  }
  out << "(targets: median over the repetitions of the median ratio of interleaved pairs;\n"
         " others: ratio of the best repetitions of separate benchmarks)\n";

  out << "\nfigures used (best repetition)" << pad("", kLabelWidth - 30)
      << "   cpu/iter    wall/iter     MB/s (cpu)\n";
  for (const auto& name : used) {
    const auto m = reporter.best(name);
    if (!m) continue;
    std::string line = pad(name, kLabelWidth);
    line += format("%9.1f us", m->cpu_ns / 1e3) + format("  %9.1f us", m->real_ns / 1e3);
    if (m->bytes_per_second > 0) line += format("  %10.1f", m->bytes_per_second / 1e6);
    out << line << "\n";
  }
  if (missed > 0)
    out << "\n" << missed << " target(s) MISSED (reported, not failed: these are benchmarks)\n";
  return missed;
}

}  // namespace signet::bench
