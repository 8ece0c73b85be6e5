// The tuning records: one SQLite file per target (or shared by several) holding every
// measurement the tuner made, keyed by (workload, target): the schedule constants measured,
// the median time or why it failed, and the kernel's features (for the cost model). The
// best schedule of a workload on a target is its fastest measurement that passed. `nas
// tune` writes them; `nas bench --records`, `nas compile --records` and the search read
// them (LowerOptions::tuned_params), and a second `nas tune` measures nothing it has. A
// target's schedule constants fitted to the records are kept beside them and become the
// target's defaults wherever the records are read.
//
// Workloads are lower::workload_key (what a kernel computes, whatever its names and
// schedule); targets are target_key (triple, CPU, features, threads). Each write is its own
// transaction, so a killed tuner loses at most the measurement it was making.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/target/schedule_params.h"
#include "compiler/target/target.h"

struct sqlite3;

namespace nas::tune {

// "x86_64-unknown-linux-gnu sapphirerapids +avx512f,... threads=2": what a measurement on
// the target depends on.
std::string target_key(const target::Target& target);
std::string workload_hex(uint64_t workload);  // 16 hex digits

struct Measurement {
  uint64_t workload = 0;
  std::string target;       // target_key
  std::string family;       // the op family's name
  std::string kernel;       // what the kernel is, for people (its name and shapes)
  nlohmann::json params;    // the ScheduleParams fields the kernel was made with
  std::optional<double> ms; // the median, or nullopt when it failed
  std::string error;        // why it failed
  std::vector<double> features;
  int64_t work = 0;         // multiply-adds (or elements)
};

// A workload's tuned schedule timed inside a model against its default schedule
// (in_model.h): its kernels' times there, summed, medians over runs of the model.
struct InModelTiming {
  uint64_t workload = 0;
  std::string target;     // target_key
  nlohmann::json params;  // the tuned schedule's constants (its measurement's)
  double default_ms = 0, tuned_ms = 0;
  bool tuned_wins() const { return tuned_ms <= default_ms; }
};

// A 3x3 convolution timed inside a model both ways (in_model.h): by Winograd's algorithm
// and direct, its kernels' times summed, medians over runs of the model.
struct ConvAlgorithmTiming {
  std::string conv;    // passes::winograd_conv_key
  std::string target;  // target_key
  double winograd_ms = 0, direct_ms = 0;
  bool direct_wins() const { return direct_ms < winograd_ms; }
};

class TuningRecords {
 public:
  // Opens or creates the file. A UserError names a file that is not a records file of this
  // format, or cannot be opened.
  explicit TuningRecords(const std::filesystem::path& path);
  ~TuningRecords();
  TuningRecords(const TuningRecords&) = delete;
  TuningRecords& operator=(const TuningRecords&) = delete;

  const std::filesystem::path& path() const { return path_; }

  void add(const Measurement& m);
  // The fastest measurement that passed of the workload on the target.
  std::optional<Measurement> best(uint64_t workload, const std::string& target) const;
  // Measurements of the workload on the target, passed or failed, in the order made.
  std::vector<Measurement> of(uint64_t workload, const std::string& target) const;
  // That a tuner is done with the workload on the target at this trial budget (its space
  // may hold fewer schedules, or early stopping ended it), and the largest budget it was
  // done with (0: never).
  void finish(uint64_t workload, const std::string& target, int trials);
  int finished_trials(uint64_t workload, const std::string& target) const;
  // The measurements that passed, of every workload and target (the cost model's data), in
  // the order made: the last `limit` of them (0: all).
  std::vector<Measurement> passed(size_t limit = 0) const;
  // The target's schedule constants fitted to these records (fit_params.h, `nas tune
  // --fit-target`): the fields that differ from its defaults, replacing an earlier fit's.
  void set_fitted(const std::string& target, const nlohmann::json& fields);
  // The target's constants with the fitted fields over them (its own where there are none):
  // the defaults of the workloads no record covers.
  target::ScheduleParams fitted_schedule(const target::Target& target) const;
  // The timing of a tuned schedule inside a model, replacing an earlier one of the same
  // workload, target and constants; and that timing, if any.
  void set_in_model(const InModelTiming& timing);
  std::optional<InModelTiming> in_model(uint64_t workload, const std::string& target,
                                        const nlohmann::json& params) const;
  // The timing of a convolution both ways, replacing an earlier one; and that timing, if any.
  void set_conv_algorithm(const ConvAlgorithmTiming& timing);
  std::optional<ConvAlgorithmTiming> conv_algorithm(const std::string& conv,
                                                    const std::string& target) const;
  // The convolutions whose direct form was faster in a model on the target, read once:
  // for LowerOptions::winograd_direct.
  std::function<bool(const std::string& conv)> direct_convolutions(
      const target::Target& target) const;
  // The best constants of each workload on the target, read once: for
  // LowerOptions::tuned_params. A workload whose best schedule lost to its default inside
  // a model (set_in_model) has none: the default is kept.
  std::function<std::optional<target::ScheduleParams>(uint64_t)> best_params(
      const target::Target& target) const;

 private:
  std::vector<Measurement> select(const std::string& where_sql,
                                  const std::vector<std::string>& binds) const;
  void exec(const std::string& sql) const;
  std::string label() const;

  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

}  // namespace nas::tune
