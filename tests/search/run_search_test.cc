// The orchestrator end to end on synthetic data with a tiny space built in code: a search
// stores every trial; a search stopped mid-batch, or run to half its budget, and resumed
// ends with the results of one never interrupted; a changed config is refused; failures
// are recorded and the search goes on; a backend that delivers results out of order (as MPI
// ranks do) changes nothing.
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "compiler/support/random.h"
#include "search/run_search.h"
#include "search/store.h"
#include "tests/search/tiny_space.h"
#include "tests/test_util.h"

namespace nas::search {
namespace {

using nas::testing::TempDir;
using nas::testing::user_error_message;
using ::testing::HasSubstr;

struct Stop {};  // thrown from the commit hook to stop a search as a kill would

class RunSearchTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::ofstream(dir_ / "space.yaml") << "name: tiny\n";
    const std::string message = user_error_message([&] {
      make_strategy(strategy(), space_, 0, nlohmann::json::object(), 2);
    });
    if (message.find("unknown strategy") != std::string::npos)
      GTEST_SKIP() << "strategy '" << strategy() << "' is not in this build";
  }

  ExperimentConfig config(const std::string& output, std::vector<std::string> sets = {}) {
    sets.insert(sets.begin(), "output=" + (dir_ / output).string());
    sets.insert(sets.begin(), "strategy.name=" + strategy());
    return parse_config(R"(name: tiny
seed: 3
data: {set: synthetic, train_subset: 96, validation_subset: 64}
space: space.yaml
targets: [{name: host, threads: 1}]
constraints: {params: 500}
objectives:
  - {metric: accuracy, goal: maximize}
  - {metric: params, goal: minimize}
budget: {candidates: 6, batch: 2}
parallel: {workers: 2, threads_per_worker: 1}
timing: {warmup: 0, min_repeats: 2, min_seconds: 0, max_seconds: 1, max_spread: 0}
tuning: {trials: 0}
training: {epochs: 1, batch: 16, lr: 0.1}
)",
                        dir_ / "exp.yaml", sets);
  }

  virtual std::string strategy() const { return GetParam(); }

  SearchOutcome run(const ExperimentConfig& c, SearchOptions options = {}) {
    return run_search(c, space_, load_experiment_data(c, space_), options);
  }

  TempDir dir_;
  space::SearchSpace space_ = testing::tiny_space();
};

// What a search must reproduce: everything but timings and latencies.
std::string deterministic_view(const std::vector<TrialRecord>& records) {
  std::ostringstream s;
  for (const TrialRecord& t : records) {
    nlohmann::json r = t.result.to_json();
    r.erase("latency");
    r.erase("training_seconds");
    r.erase("step_ms");
    r.erase("training_compile_seconds");
    s << t.id << " " << t.batch << " " << t.arch << " " << t.fidelity << " " << t.seed << " "
      << r.dump() << "\n";
  }
  return s.str();
}

TEST_P(RunSearchTest, SearchesAndStoresEveryTrial) {
  const ExperimentConfig c = config("run");
  std::ostringstream log;
  const SearchOutcome out = run(c, {.log = &log});
  ASSERT_EQ(out.records.size(), 6u);
  EXPECT_EQ(out.evaluated, 6);
  EXPECT_EQ(out.reused, 0);
  EXPECT_FALSE(out.resumed);
  std::set<std::string> archs;
  double best = 0;
  int ruled_out = 0;
  for (const TrialRecord& t : out.records) {
    archs.insert(t.arch);
    // A candidate over the constraint (params <= 500) is measured, not trained.
    if (t.result.cost.parameters > 500) {
      ++ruled_out;
      EXPECT_EQ(t.result.status, evaluator::EvalStatus::Infeasible);
      EXPECT_EQ(t.result.reason, fmt::format("params {} > 500", t.result.cost.parameters));
      EXPECT_TRUE(t.result.loss_curve.empty());
    } else {
      EXPECT_EQ(t.result.status, evaluator::EvalStatus::Ok) << t.result.reason;
      EXPECT_EQ(t.result.loss_curve.size(), 1u);
    }
    EXPECT_EQ(t.fidelity, 1);
    EXPECT_EQ(t.seed, 3u);
    EXPECT_EQ(t.batch, t.id / 2);
    EXPECT_EQ(t.result.latency.count("host"), 1u);
    EXPECT_GT(t.seconds, 0);
    best = std::max(best, t.result.accuracy);
  }
  EXPECT_GT(ruled_out, 0);
  EXPECT_LT(ruled_out, 6);
  EXPECT_EQ(archs.size(), 6u);  // never the same architecture twice
  EXPECT_GT(best, 0.5);         // 4 learnable classes
  // Stored as returned, with the resolved config beside the store.
  ExperimentStore store(out.store);
  const std::vector<StoredTrial> stored = store.trials();
  ASSERT_EQ(stored.size(), 6u);
  for (size_t i = 0; i < stored.size(); ++i) {
    EXPECT_TRUE(stored[i].done);
    EXPECT_EQ(stored[i].record.result.to_json(), out.records[i].result.to_json());
  }
  EXPECT_EQ(store.experiment()->resume_hash, c.resume_hash());
  EXPECT_EQ(nas::testing::user_error_message([&] {
              parse_config(c.resolved_yaml, dir_ / "exp.yaml");
            }),
            "(no error)");
  EXPECT_TRUE(std::filesystem::exists(out.folder / "config.yaml"));
  EXPECT_THAT(log.str(), HasSubstr("search: 6/6 | best feasible accuracy"));
}

TEST_P(RunSearchTest, ResumedSearchEqualsUninterruptedOne) {
  const std::string straight = deterministic_view(run(config("straight")).records);

  // Half the budget, then the whole budget in the same folder.
  EXPECT_EQ(run(config("halves", {"budget.candidates=4"})).records.size(), 4u);
  const SearchOutcome second = run(config("halves"), {.resume = true});
  EXPECT_TRUE(second.resumed);
  EXPECT_EQ(second.reused, 4);
  EXPECT_EQ(second.evaluated, 2);
  EXPECT_EQ(deterministic_view(second.records), straight);

  // Stopped after the third result, in the middle of the second batch.
  int committed = 0;
  EXPECT_THROW(run(config("stopped"), {.on_trial_committed =
                                           [&](const TrialRecord&) {
                                             if (++committed == 3) throw Stop{};
                                           }}),
               Stop);
  const SearchOutcome resumed = run(config("stopped"));
  // The other worker's candidate may have finished (and been committed) after the stop.
  EXPECT_EQ(resumed.reused, committed);
  EXPECT_EQ(committed + resumed.evaluated, 6);  // nothing evaluated twice
  EXPECT_EQ(deterministic_view(resumed.records), straight);
  // Stored latencies are reused as they were measured.
  ExperimentStore store(resumed.store);
  EXPECT_EQ(store.trials()[0].record.result.latency.at("host"),
            resumed.records[0].result.latency.at("host"));

  // Run again when done: nothing left to evaluate.
  const SearchOutcome again = run(config("stopped"));
  EXPECT_EQ(again.evaluated, 0);
  EXPECT_EQ(deterministic_view(again.records), straight);
}

INSTANTIATE_TEST_SUITE_P(Strategies, RunSearchTest,
                         ::testing::Values("random", "evolution", "nsga2", "predictor"));

class RunSearch : public RunSearchTest {
 protected:
  std::string strategy() const override { return "random"; }

  // Successive halving over epochs 1 and 2 with eta 2, 2 batches of 4, every candidate
  // trained (none ruled out by the constraint).
  ExperimentConfig halving(const std::string& output) {
    ExperimentConfig c =
        config(output, {"budget.candidates=8", "budget.batch=4", "constraints.params=100000"});
    std::string text = c.resolved_yaml;
    text.replace(text.find("epochs: 1, "), 11, "");  // training.epochs goes
    return parse_config(text + "fidelity: {epochs: [1, 2], eta: 2}\n", dir_ / "exp.yaml");
  }
};

TEST_F(RunSearch, TunesEachCandidateIntoTheSharedRecords) {
  const std::string records = (dir_ / "tuning").string();
  const SearchOutcome out =
      run(config("tuned", {"tuning.trials=3", "tuning.records=" + records, "budget.candidates=3"}));
  ASSERT_EQ(out.records.size(), 3u);
  for (const TrialRecord& t : out.records) {
    const evaluator::LatencyResult& l = t.result.latency.at("host");
    EXPECT_GT(l.median_ms, 0) << t.result.reason;
    EXPECT_GT(l.untuned_median_ms, 0);  // the default schedules', kept beside
    EXPECT_GT(l.tune_seconds, 0);
  }
  ASSERT_EQ(std::distance(std::filesystem::directory_iterator(records),
                          std::filesystem::directory_iterator()) > 0,
            true);
  // A second search of the same candidates measures no kernel again: its tuning is quick.
  const auto file = std::filesystem::directory_iterator(records)->path();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  auto count = [&] {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM measurements", -1, &s, nullptr);
    sqlite3_step(s);
    const int64_t n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
  };
  const int64_t measured = count();
  EXPECT_GT(measured, 0);
  run(config("tuned_again", {"tuning.trials=3", "tuning.records=" + records,
                             "budget.candidates=3"}));
  EXPECT_EQ(count(), measured);
  sqlite3_close(db);
}


// Runs the local backend; `from_scratch` drops the checkpoints promoted trials would
// continue from. Counts the trials that started from one.
class CheckpointWatcher : public EvaluationBackend {
 public:
  CheckpointWatcher(const ExperimentConfig& c, const space::SearchSpace& space,
                    const evaluator::DataSplits& data, bool from_scratch)
      : local_(make_local_backend(c, space, data)), from_scratch_(from_scratch) {}
  void evaluate(const std::vector<TrialRecord*>& trials,
                const std::function<void(const TrialRecord&)>& done) override {
    for (TrialRecord* t : trials) {
      if (from_scratch_) t->start.reset();
      continued += t->start != nullptr;
    }
    local_->evaluate(trials, done);
  }
  int continued = 0;

 private:
  std::unique_ptr<EvaluationBackend> local_;
  bool from_scratch_;
};

// Successive halving over epochs 1 and 2 with eta 2: each batch of 4 trains 4 candidates
// for one epoch, then its best 2 (by constraint domination) for two.
TEST_F(RunSearch, SuccessiveHalvingPromotesTheBestOfEachBatchAndResumes) {
  const SearchOutcome out = run(halving("sh"));
  ASSERT_EQ(out.records.size(), 12u);
  std::vector<int64_t> fidelities;
  for (const TrialRecord& t : out.records) fidelities.push_back(t.fidelity);
  EXPECT_EQ(fidelities, (std::vector<int64_t>{1, 1, 1, 1, 2, 2, 1, 1, 1, 1, 2, 2}));
  for (size_t b = 0; b < 2; ++b) {
    const auto first = out.records.begin() + 6 * b;
    for (size_t p = 4; p < 6; ++p) {
      const TrialRecord& promoted = first[p];
      EXPECT_EQ(promoted.batch, static_cast<int64_t>(b));
      EXPECT_EQ(promoted.result.status, evaluator::EvalStatus::Ok) << promoted.result.reason;
      const auto lower = std::find_if(first, first + 4, [&](const TrialRecord& t) {
        return t.arch == promoted.arch;
      });
      ASSERT_NE(lower, first + 4) << promoted.arch << " was not evaluated at 1 epoch";
      // The latency measured at 1 epoch is reused; training went on for 2 epochs.
      EXPECT_EQ(promoted.result.latency.at("host"), lower->result.latency.at("host"));
      EXPECT_NE(promoted.result.loss_curve.size(), lower->result.loss_curve.size());
      // No candidate left behind dominates a promoted one at 1 epoch.
      for (auto t = first; t != first + 4; ++t) {
        if (std::find_if(first + 4, first + 6, [&](const TrialRecord& q) {
              return q.arch == t->arch;
            }) != first + 6)
          continue;
        EXPECT_FALSE(t->result.accuracy >= lower->result.accuracy &&
                     t->result.cost.parameters <= lower->result.cost.parameters &&
                     (t->result.accuracy > lower->result.accuracy ||
                      t->result.cost.parameters < lower->result.cost.parameters))
            << t->arch << " dominates promoted " << promoted.arch;
      }
    }
  }
  const std::string straight = deterministic_view(out.records);
  // Stopped during the first batch's promotions, then resumed.
  int committed = 0;
  EXPECT_THROW(run(halving("sh-stopped"), {.on_trial_committed =
                                               [&](const TrialRecord&) {
                                                 if (++committed == 5) throw Stop{};
                                               }}),
               Stop);
  // The two promoted trials' checkpoints at 1 epoch stay until the batch is complete.
  std::vector<std::string> kept;
  for (const auto& f : std::filesystem::directory_iterator(dir_ / "sh-stopped" / "checkpoints"))
    kept.push_back(f.path().filename().string());
  EXPECT_EQ(kept.size(), 2u);
  // A damaged checkpoint costs time, not results: the trial trains from scratch.
  for (const std::string& file : kept)
    std::ofstream(dir_ / "sh-stopped" / "checkpoints" / file) << "damaged";
  const SearchOutcome resumed = run(halving("sh-stopped"));
  EXPECT_EQ(committed + resumed.evaluated, 12);
  EXPECT_EQ(deterministic_view(resumed.records), straight);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "sh-stopped" / "checkpoints"));
}

// evaluate_trial continues from `start`: it trains only the epochs still to do, and ends
// where training from scratch ends.
TEST_F(RunSearch, ATrialContinuesFromItsStart) {
  const ExperimentConfig c = halving("unused");
  const evaluator::DataSplits data = load_experiment_data(c, space_);
  evaluator::EvaluationConfig eval = evaluation_config(c, nullptr);
  EXPECT_EQ(eval.train.schedule_epochs, 2);
  int epochs_trained = 0;
  eval.on_epoch = [&](const evaluator::EpochProgress&) { ++epochs_trained; };
  SplitMix64 rng(1);
  const std::string arch = space_.to_string(space_.sample(rng));
  TrialRecord first{.arch = arch, .fidelity = 1, .seed = 3};
  first.keep_checkpoint = true;
  evaluate_trial(first, space_, data, eval);
  ASSERT_EQ(first.result.status, evaluator::EvalStatus::Ok) << first.result.reason;
  ASSERT_TRUE(first.checkpoint);
  TrialRecord continued{.arch = arch, .fidelity = 2, .seed = 3}, scratch = continued;
  continued.start = first.checkpoint;
  epochs_trained = 0;
  evaluate_trial(continued, space_, data, eval);
  EXPECT_EQ(epochs_trained, 1);
  epochs_trained = 0;
  evaluate_trial(scratch, space_, data, eval);
  EXPECT_EQ(epochs_trained, 2);
  EXPECT_FALSE(scratch.checkpoint);  // not asked for
  EXPECT_EQ(continued.result.accuracy, scratch.result.accuracy);
  EXPECT_EQ(continued.result.loss_curve, scratch.result.loss_curve);
  EXPECT_EQ(continued.result.loss_curve.size(), 2u);
}

// A promoted trial continues from its checkpoint at the fidelity below: every fidelity
// follows the schedule of the highest, so this gives the weights, accuracy and loss curve
// that training from scratch gives. No checkpoint is left behind.
TEST_F(RunSearch, PromotedTrialsContinueFromTheirCheckpointsAsIfStraight) {
  const auto search = [&](const std::string& output, bool from_scratch) {
    const ExperimentConfig c = halving(output);
    const evaluator::DataSplits data = load_experiment_data(c, space_);
    CheckpointWatcher backend(c, space_, data, from_scratch);
    const SearchOutcome out = run_search(c, space_, data, {.backend = &backend});
    EXPECT_EQ(backend.continued, from_scratch ? 0 : 4) << output;
    EXPECT_FALSE(std::filesystem::exists(dir_ / output / "checkpoints")) << output;
    return deterministic_view(out.records);
  };
  EXPECT_EQ(search("continued", false), search("from-scratch", true));
}

// Early stopping over fidelities 1 and 3: every promoted trial measures its accuracy after
// epoch 2; none is judged before earlier batches hold 3 curves; a stopped trial keeps that
// accuracy; and a search stopped and resumed decides as one run straight through.
TEST_F(RunSearch, EarlyStoppingIsJudgedOnEarlierBatchesAndResumes) {
  auto stopping = [&](const std::string& output) {
    ExperimentConfig c = config(output, {"budget.candidates=12", "budget.batch=4",
                                         "constraints.params=100000"});
    std::string text = c.resolved_yaml;
    text.replace(text.find("epochs: 1, "), 11, "");
    return parse_config(text + "fidelity: {epochs: [1, 3], eta: 2, early_stopping: true}\n",
                        dir_ / "exp.yaml");
  };
  const SearchOutcome out = run(stopping("es"));
  ASSERT_EQ(out.records.size(), 18u);  // 3 batches of 4 and 2 promoted
  int promoted = 0;
  for (const TrialRecord& t : out.records) {
    if (t.fidelity != 3) {
      EXPECT_TRUE(t.result.epoch_accuracy.empty());  // 1 epoch: nothing before the last
      continue;
    }
    ++promoted;
    ASSERT_EQ(t.result.epoch_accuracy.count(2), 1u) << t.arch;
    if (t.batch < 2) {
      EXPECT_EQ(t.result.status, evaluator::EvalStatus::Ok) << t.result.reason;
    }
    if (t.result.status == evaluator::EvalStatus::Stopped) {
      EXPECT_EQ(t.result.accuracy, t.result.epoch_accuracy.at(2));
      EXPECT_EQ(t.result.loss_curve.size(), 2u);
      EXPECT_THAT(t.result.reason, HasSubstr("stopped after epoch 2 of 3"));
    } else {
      EXPECT_EQ(t.result.status, evaluator::EvalStatus::Ok) << t.result.reason;
      EXPECT_EQ(t.result.loss_curve.size(), 3u);
    }
  }
  EXPECT_EQ(promoted, 6);
  int committed = 0;
  EXPECT_THROW(run(stopping("es-stopped"), {.on_trial_committed =
                                                [&](const TrialRecord&) {
                                                  if (++committed == 14) throw Stop{};
                                                }}),
               Stop);
  EXPECT_EQ(deterministic_view(run(stopping("es-stopped")).records),
            deterministic_view(out.records));
}

TEST_F(RunSearch, RefusesToResumeAChangedConfig) {
  run_search(config("x", {"budget.candidates=2"}), space_,
             load_experiment_data(config("x"), space_));
  const ExperimentConfig changed = config("x", {"training.lr=0.2", "seed=4"});
  EXPECT_EQ(user_error_message([&] { run(changed); }),
            "config changed since the search in '" + (dir_ / "x").string() +
                "' began: seed 3 -> 4, training.lr 0.1 -> 0.2; rerun into a new output folder "
                "(--set output=...)");
  // The budget is not part of it.
  EXPECT_EQ(run(config("x", {"budget.candidates=4"})).reused, 2);
}

// Evaluates a batch's trials last to first, one at a time, as ranks that finish out of order
// would deliver them.
class ReverseOrderBackend : public EvaluationBackend {
 public:
  ReverseOrderBackend(const ExperimentConfig& c, const space::SearchSpace& space,
                      const evaluator::DataSplits& data)
      : space_(space), data_(data), eval_(evaluation_config(c, nullptr)) {}
  void evaluate(const std::vector<TrialRecord*>& trials,
                const std::function<void(const TrialRecord&)>& done) override {
    for (auto it = trials.rbegin(); it != trials.rend(); ++it) {
      evaluate_trial(**it, space_, data_, eval_);
      order.push_back((*it)->id);
      done(**it);
    }
  }
  std::vector<int64_t> order;

 private:
  const space::SearchSpace& space_;
  const evaluator::DataSplits& data_;
  evaluator::EvaluationConfig eval_;
};

TEST_F(RunSearch, ResultsArriveInAnyOrderAndAreToldInAskOrder) {
  // NSGA-II's next batch depends on what it was told of the last.
  const ExperimentConfig local = config("local", {"strategy.name=nsga2"});
  const ExperimentConfig reversed = config("reversed", {"strategy.name=nsga2"});
  const evaluator::DataSplits data = load_experiment_data(local, space_);
  ReverseOrderBackend backend(reversed, space_, data);
  SearchOptions options;
  options.backend = &backend;
  const SearchOutcome out = run_search(reversed, space_, data, options);
  EXPECT_EQ(backend.order, (std::vector<int64_t>{1, 0, 3, 2, 5, 4}));
  EXPECT_EQ(deterministic_view(out.records), deterministic_view(run(local).records));
}

TEST_F(RunSearch, StopsStartingBatchesAfterTheWallTime) {
  std::ostringstream log;
  const SearchOutcome out = run(config("wall", {"budget.wall_minutes=0.000001"}), {.log = &log});
  EXPECT_LT(out.records.size(), 6u);
  EXPECT_THAT(log.str(), HasSubstr("wall-time budget of 1e-06 minutes reached"));
}

TEST_F(RunSearch, ResumeNeedsASearchToResume) {
  EXPECT_EQ(user_error_message([&] { run(config("none"), {.resume = true}); }),
            "--resume: there is no search to resume in '" + (dir_ / "none").string() +
                "' (no experiment.db)");
}

TEST_F(RunSearch, RecordsFailuresAndGoesOn) {
  // Width 8 makes no network in this space.
  class Failing : public testing::TinyConvTemplate {
   public:
    graph::Graph build(const space::SearchSpace& s, const space::Architecture& a,
                       int64_t batch) const override {
      if (s.label(a, "width") == "8") user_error("width 8 is too wide for this test");
      return TinyConvTemplate::build(s, a, batch);
    }
  };
  space_ = space::SearchSpace("tiny", space_.decisions(), std::make_shared<Failing>());
  const SearchOutcome out = run(config("fail", {"budget.candidates=12"}));
  ASSERT_EQ(out.records.size(), 12u);  // the whole space
  int failed = 0;
  for (const TrialRecord& t : out.records) {
    if (t.arch.rfind("8,", 0) != 0) {
      EXPECT_EQ(t.result.status, evaluator::EvalStatus::Ok);
      continue;
    }
    ++failed;
    EXPECT_EQ(t.result.status, evaluator::EvalStatus::Failed);
    EXPECT_EQ(t.result.reason, "width 8 is too wide for this test");
  }
  EXPECT_EQ(failed, 4);
  // The space is exhausted: more budget asks for nothing new.
  EXPECT_EQ(run(config("fail", {"budget.candidates=20"})).records.size(), 12u);
}

TEST_F(RunSearch, AStoreTheStrategyDoesNotReproduceIsAnInternalError) {
  const SearchOutcome out = run(config("tampered", {"budget.candidates=2"}));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(out.store.c_str(), &db), SQLITE_OK);
  const std::string other = out.records[0].arch == "2,1,relu" ? "4,1,relu" : "2,1,relu";
  ASSERT_EQ(sqlite3_exec(db, ("UPDATE trials SET arch = '" + other + "' WHERE id = 0").c_str(),
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  try {
    run(config("tampered"));
    FAIL() << "no error";
  } catch (const InternalError& e) {
    EXPECT_THAT(e.what(), HasSubstr("strategy 'random' proposed [" + out.records[0].arch));
    EXPECT_THAT(e.what(), HasSubstr("but the store holds [" + other));
  }
}

}  // namespace
}  // namespace nas::search
