// A target's schedule constants fitted to its tuning records: the hand-set defaults of
// ScheduleParams replaced by the values the measurements favour, so that workloads no record
// covers yet (a new model, a search's new candidate) start from constants measured on this
// machine rather than on the one the defaults came from. `nas tune --fit-target FILE`
// writes them as a target file (`schedule:`, each value with where it came from).
//
// Coordinate descent over the fields that the workloads' schedule spaces vary, from the
// target's own values: a field takes another value where the time of the workloads whose
// default schedule that changes (each counted once per kernel of the models) falls by at
// least min_gain; passes repeat until none changes anything. A changed schedule the records
// lack is measured (FitOptions::measure, into the records) where the workloads the records
// do cover gain, or where they cover none; a value with an unmeasured workload left is not
// taken: nothing says what it costs there. The fields that change the graph before
// scheduling (Winograd's, the padding's) are in no space and stay.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/target/target.h"
#include "compiler/tune/records.h"
#include "compiler/tune/tuner.h"

namespace nas::tune {

struct FieldChange {
  std::string field;
  nlohmann::json from, to;
  int workloads = 0;                  // whose default schedule it changed
  double ms_before = 0, ms_after = 0;  // their time, summed over kernels
};

struct FitOptions {
  double min_gain = 0.01;  // of the changed workloads' time, for a value to be taken
  // Measures a workload's default schedule under these constants (and records it); nullopt
  // where it failed. Empty: the records alone decide.
  std::function<std::optional<double>(const ModelWorkload&, const target::ScheduleParams&)>
      measure;
  int max_measurements = 400;  // of the fit, in all
};

struct FittedParams {
  target::ScheduleParams params;
  std::vector<FieldChange> changes;  // in the order taken
  int workloads = 0;                 // with a measured default schedule on the target
  int skipped = 0;                   // without one (not tuned on this target)
  int measured = 0;                  // schedules the fit measured
  // Over those workloads, summed over kernels: the default schedules', the fitted
  // constants' and each workload's best measured schedule's time.
  double ms_default = 0, ms_fitted = 0, ms_best = 0;
};

FittedParams fit_schedule_params(const std::vector<ModelWorkload>& workloads,
                                 const TuningRecords& records, const target::Target& target,
                                 const FitOptions& options = {});

// A target file (target/target_file.h) of `target` with the fitted fields under `schedule:`,
// each with a comment saying what it replaced and what it saved on which records; reading
// it back gives `target` with fit.params (and the same target_key, so the records still
// apply to it).
std::string fitted_target_yaml(const target::Target& target, const FittedParams& fit,
                               const std::string& records_path);

}  // namespace nas::tune
