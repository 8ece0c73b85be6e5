// A target's schedule constants fitted to tuning records: a value the records show faster on
// every workload it changes is taken, one they show slower or do not cover is not, what
// they lack is measured when the fit may measure, and the target file it writes reads back
// as the target with the fitted constants (and the same records key).
#include "compiler/tune/fit_params.h"

#include <fstream>

#include <gtest/gtest.h>

#include "compiler/lower/lower_group.h"
#include "compiler/target/target_file.h"
#include "compiler/tune/schedule_space.h"
#include "tests/test_util.h"
#include "tests/tune/tune_test_util.h"

namespace nas::tune {
namespace {

using nas::testing::TempDir;
using testing::host_options;
using testing::zoo;

std::string schedule_of(const ModelWorkload& w, const target::Target& target,
                        const ScheduleParams& params) {
  return lower::default_kernel(w.group, target, params, "k").schedule.to_json().dump();
}

// A field and value of the conv2d space that change the default schedule of some workload
// of the zoo, and the workloads they change.
struct Change {
  std::string field;
  nlohmann::json value;
  std::vector<size_t> changed;
};
Change a_change(const std::vector<ModelWorkload>& workloads, const target::Target& target) {
  for (const ModelWorkload& w : workloads) {
    if (w.group.family != lower::ScheduleFamily::Conv2d) continue;
    const ScheduleSpace space = ScheduleSpace::of(w.group, target);
    for (const Knob& knob : space.knobs())
      for (const nlohmann::json& value : knob.values) {
        const ScheduleParams params = target.schedule.with_json({{knob.name, value}});
        Change c{knob.name, value, {}};
        for (size_t i = 0; i < workloads.size(); ++i)
          if (schedule_of(workloads[i], target, params) !=
              schedule_of(workloads[i], target, target.schedule))
            c.changed.push_back(i);
        if (!c.changed.empty()) return c;
      }
  }
  ADD_FAILURE() << "no knob value changes a conv2d schedule of the zoo";
  return {};
}

class FitParams : public ::testing::Test {
 protected:
  FitParams()
      : options_(host_options(1)), target_(options_.target),
        workloads_(model_workloads(zoo(), options_)), records_(dir_ / "records.sqlite") {}

  void record(size_t workload, const ScheduleParams& params, double ms) {
    record_into(records_, workload, params, ms);
  }
  void record_into(TuningRecords& records, size_t workload, const ScheduleParams& params,
                   double ms) {
    records.add({workloads_[workload].key, target_key(target_), "conv2d", "k", params.to_json(),
                 ms, "", {1.0}, 100});
  }
  // Every workload's default schedule at 1 ms.
  void record_defaults(TuningRecords& records) {
    for (size_t i = 0; i < workloads_.size(); ++i) record_into(records, i, target_.schedule, 1.0);
  }
  void record_defaults() { record_defaults(records_); }
  // Every default at 1 ms, and the schedules `c` changes at `ms`.
  void record_change(const Change& c, double ms) {
    record_defaults();
    for (size_t i : c.changed) record(i, target_.schedule.with_json({{c.field, c.value}}), ms);
  }
  double kernels(const std::vector<size_t>& which) const {
    double n = 0;
    for (size_t i : which) n += workloads_[i].kernels;
    return n;
  }

  TempDir dir_;
  compiler::CompileOptions options_;
  const target::Target& target_;
  std::vector<ModelWorkload> workloads_;
  TuningRecords records_;
};

TEST_F(FitParams, TakesAValueTheRecordsShowFasterWhereverItChangesTheSchedule) {
  const Change c = a_change(workloads_, target_);
  record_change(c, 0.5);

  const FittedParams fit = fit_schedule_params(workloads_, records_, target_);
  ASSERT_FALSE(fit.changes.empty());
  EXPECT_EQ(fit.changes[0].field, c.field);
  EXPECT_EQ(fit.workloads, static_cast<int>(workloads_.size()));
  EXPECT_EQ(fit.measured, 0);
  // Each changed workload now takes the faster schedule (the value, or one making the same).
  for (size_t i : c.changed)
    EXPECT_EQ(schedule_of(workloads_[i], target_, fit.params),
              schedule_of(workloads_[i], target_, target_.schedule.with_json({{c.field, c.value}})))
        << workloads_[i].kernel;
  const double all = kernels([&] {
    std::vector<size_t> v(workloads_.size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = i;
    return v;
  }());
  EXPECT_DOUBLE_EQ(fit.ms_default, all);
  EXPECT_DOUBLE_EQ(fit.ms_fitted, all - 0.5 * kernels(c.changed));
  EXPECT_DOUBLE_EQ(fit.ms_best, fit.ms_fitted);
}

TEST_F(FitParams, KeepsTheDefaultsWhereTheRecordsShowNothingFasterOrDoNotSay) {
  const Change c = a_change(workloads_, target_);
  record_change(c, 1.5);  // slower where it changes: kept
  FittedParams fit = fit_schedule_params(workloads_, records_, target_);
  EXPECT_TRUE(fit.changes.empty());
  EXPECT_EQ(fit.params, target_.schedule);
  EXPECT_DOUBLE_EQ(fit.ms_fitted, fit.ms_default);

  // Only the defaults measured, and no measuring allowed: nothing to go on.
  TuningRecords bare(dir_ / "bare.sqlite");
  record_defaults(bare);
  fit = fit_schedule_params(workloads_, bare, target_);
  EXPECT_TRUE(fit.changes.empty());

  // No records of this target: every workload skipped.
  TuningRecords empty(dir_ / "empty.sqlite");
  fit = fit_schedule_params(workloads_, empty, target_);
  EXPECT_EQ(fit.workloads, 0);
  EXPECT_EQ(fit.skipped, static_cast<int>(workloads_.size()));
  EXPECT_EQ(fit.params, target_.schedule);
}

TEST_F(FitParams, MeasuresTheSchedulesTheRecordsLack) {
  const Change c = a_change(workloads_, target_);
  record_defaults();
  int calls = 0;
  FitOptions options;
  options.measure = [&](const ModelWorkload&, const ScheduleParams& params) {
    ++calls;
    // The change found above is faster; anything else slower.
    return std::optional<double>(params.to_json().at(c.field) == c.value ? 0.5 : 2.0);
  };
  const FittedParams fit = fit_schedule_params(workloads_, records_, target_, options);
  EXPECT_GT(calls, 0);
  EXPECT_EQ(fit.measured, calls);
  ASSERT_FALSE(fit.changes.empty());
  EXPECT_LT(fit.ms_fitted, fit.ms_default);
  for (size_t i : c.changed)
    EXPECT_EQ(schedule_of(workloads_[i], target_, fit.params),
              schedule_of(workloads_[i], target_, target_.schedule.with_json({{c.field, c.value}})));

  // A budget of none measures nothing.
  options.max_measurements = 0;
  calls = 0;
  TuningRecords bare(dir_ / "bare.sqlite");
  record_defaults(bare);
  EXPECT_TRUE(fit_schedule_params(workloads_, bare, target_, options).changes.empty());
  EXPECT_EQ(calls, 0);
}

TEST_F(FitParams, TargetFileReadsBackWithTheFittedConstantsAndTheSameRecordsKey) {
  const Change c = a_change(workloads_, target_);
  record_change(c, 0.5);
  const FittedParams fit = fit_schedule_params(workloads_, records_, target_);
  ASSERT_FALSE(fit.changes.empty());

  const std::string path = (dir_ / "fitted.yaml").string();
  std::ofstream(path) << fitted_target_yaml(target_, fit, "records.sqlite");
  const target::Target read = target::read_target_file(path);
  EXPECT_EQ(read.schedule, fit.params);
  EXPECT_EQ(target_key(read), target_key(target_));
  EXPECT_EQ(read.name, target_.name + "-fitted");
}

TEST(FittedSchedule, KeptInTheRecordsAsTheTargetsDefaultsAndReplacedByTheNextFit) {
  TempDir dir;
  target::Target one = target::host_target(), two = target::host_target();
  two.threads = 2;
  {
    TuningRecords records(dir / "records.sqlite");
    EXPECT_EQ(records.fitted_schedule(one), one.schedule);  // nothing fitted yet
    records.set_fitted(target_key(one), {{"conv_accumulators", 24}});
  }
  TuningRecords records(dir / "records.sqlite");
  ScheduleParams expected = one.schedule;
  expected.conv_accumulators = 24;
  EXPECT_EQ(records.fitted_schedule(one), expected);
  EXPECT_EQ(records.fitted_schedule(two), two.schedule);  // another target key
  records.set_fitted(target_key(one), {{"dense_vectors", 8}});
  expected = one.schedule;
  expected.dense_vectors = 8;
  EXPECT_EQ(records.fitted_schedule(one), expected);
}

}  // namespace
}  // namespace nas::tune
