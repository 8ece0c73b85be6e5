#include "search/progress.h"

#include <cmath>

#include <fmt/format.h>

#include "search/pareto.h"

namespace nas::search {

std::string format_duration(double seconds) {
  const int64_t s = static_cast<int64_t>(std::llround(std::max(0.0, seconds)));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

std::string format_progress(const ProgressSnapshot& s) {
  std::string line = fmt::format("{}/{}", s.done, s.total);
  line += s.best_feasible_accuracy
              ? fmt::format(" | best feasible accuracy {:.4f}", *s.best_feasible_accuracy)
              : std::string(" | best feasible accuracy -");
  line += fmt::format(" | front {} | {} elapsed", s.front_size,
                      format_duration(s.elapsed_seconds));
  line += s.eta_seconds ? " | ETA " + format_duration(*s.eta_seconds) : " | ETA -";
  return line;
}

int64_t feasible_front_size(const std::vector<TrialResult>& results) {
  return static_cast<int64_t>(pareto_front(results).size());
}

Progress::Progress(std::ostream& out, bool terminal, int64_t total,
                   std::function<double()> clock)
    : out_(out), terminal_(terminal), total_(total), clock_(std::move(clock)),
      start_(clock_()) {}

void Progress::add(const TrialResult& result, std::optional<double> accuracy, bool now) {
  results_.push_back(result);
  if (accuracy && result.ok && result.violation == 0)
    best_ = best_ ? std::max(*best_, *accuracy) : *accuracy;
  done_now_ += now;
}

ProgressSnapshot Progress::snapshot() const {
  ProgressSnapshot s;
  s.done = static_cast<int64_t>(results_.size());
  s.total = total_;
  s.best_feasible_accuracy = best_;
  s.front_size = feasible_front_size(results_);
  s.elapsed_seconds = clock_() - start_;
  if (done_now_ > 0)
    s.eta_seconds = s.elapsed_seconds / static_cast<double>(done_now_) *
                    static_cast<double>(std::max<int64_t>(0, total_ - s.done));
  return s;
}

void Progress::print() {
  const std::string line = format_progress(snapshot());
  if (terminal_)
    out_ << "\r" << line << "\x1b[K" << std::flush;
  else
    out_ << "search: " << line << "\n" << std::flush;
  printed_ = true;
}

void Progress::finish() {
  if (terminal_ && printed_) out_ << "\n" << std::flush;
  printed_ = false;
}

}  // namespace nas::search
