#include "search/run_search.h"

#include <chrono>
#include <fstream>
#include <map>
#include <mutex>

#include <fmt/format.h>

#include "compiler/support/error.h"
#include "search/early_stopping.h"
#include "search/hardware.h"
#include "search/objectives.h"
#include "search/progress.h"
#include "search/store.h"
#include "search/strategy.h"
#include "search/successive_halving.h"

namespace nas::search {

namespace fs = std::filesystem;

namespace {

// The output folder is a folder or does not exist yet; a file at it or above it is a
// UserError naming both.
void check_output_folder(const fs::path& folder) {
  std::error_code error;
  for (fs::path p = folder; !p.empty(); p = p.parent_path()) {
    if (fs::exists(p, error)) {
      if (!fs::is_directory(p, error))
        user_error("output folder '{}': '{}' is a file, not a folder; choose another output "
                   "(--set output=FOLDER)",
                   folder.string(), p.string());
      return;
    }
    if (p == p.parent_path()) return;
  }
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// One search run: the store, the strategy and the evaluation of batches.
class Orchestrator {
 public:
  Orchestrator(const ExperimentConfig& config, const space::SearchSpace& space,
               const SearchOptions& options, ExperimentStore& store, EvaluationBackend& backend)
      : config_(config), space_(space), options_(options), store_(store),
        backend_(backend), constraints_(config.constraints()), rungs_(config.fidelity_epochs()),
        start_(now_seconds()),
        progress_(options.log ? *options.log : null_stream_, options.terminal,
                  config.candidates, now_seconds) {
    if (rungs_.size() > 1)
      halving_.emplace(std::vector<double>(rungs_.begin(), rungs_.end()), config.fidelity.eta);
  }

  SearchOutcome run() {
    strategy_ = make_strategy(config_.strategy, space_, config_.seed, config_.strategy_settings,
                              static_cast<int>(config_.objectives.size()));
    replay();
    while (asked_ < config_.candidates) {
      if (config_.wall_minutes > 0 && now_seconds() - start_ >= config_.wall_minutes * 60) {
        message(fmt::format("wall-time budget of {} minutes reached", config_.wall_minutes));
        break;
      }
      const int64_t n = std::min(config_.batch_size(), config_.candidates - asked_);
      const std::vector<space::Architecture> asked = strategy_->ask(static_cast<int>(n));
      if (asked.empty()) {
        message("the search space is exhausted");
        break;
      }
      NAS_CHECK(static_cast<int64_t>(asked.size()) <= n, "strategy '{}' returned {} of {} asked",
                strategy_->name(), asked.size(), n);
      std::vector<TrialRecord> batch;
      for (const space::Architecture& arch : asked) batch.push_back(new_trial(space_.to_string(arch), 0));
      asked_ += std::ssize(asked);
      store_.add_batch(next_batch_, n, batch);
      std::vector<bool> done(batch.size(), false);
      complete_batch(next_batch_++, batch, done);
    }
    progress_.finish();
    std::error_code ignored;  // removed only when empty: every batch is complete
    std::filesystem::remove(config_.output / "checkpoints", ignored);
    SearchOutcome out;
    out.records = std::move(records_);
    out.evaluated = evaluated_;
    out.reused = reused_;
    return out;
  }

 private:
  void message(const std::string& text) {
    if (!options_.log) return;
    progress_.finish();
    *options_.log << text << "\n" << std::flush;
  }

  TrialRecord new_trial(std::string arch, size_t rung) {
    TrialRecord t;
    t.id = next_id_++;
    t.batch = next_batch_;
    t.arch = std::move(arch);
    t.fidelity = rungs_[rung];
    t.seed = config_.seed;
    return t;
  }

  // Asks the strategy for every stored batch again, checks it proposes what it proposed
  // then, and completes the batch from the store (evaluating what is missing).
  void replay() {
    std::vector<StoredTrial> trials = store_.trials();
    total_ = std::max<int64_t>(config_.candidates, std::ssize(trials));
    progress_.set_total(total_);
    std::map<int64_t, std::vector<StoredTrial>> by_batch;
    for (StoredTrial& t : trials) by_batch[t.record.batch].push_back(std::move(t));
    const std::vector<StoredBatch> batches = store_.batches();
    for (const StoredBatch& b : batches) {
      NAS_CHECK(b.id == next_batch_, "the store's batches are not numbered 0, 1, ...: {} after {}",
                b.id, next_batch_ - 1);
      std::vector<StoredTrial>& stored = by_batch[b.id];
      const std::vector<space::Architecture> asked =
          strategy_->ask(static_cast<int>(b.requested));
      std::vector<std::string> now;
      for (const space::Architecture& a : asked) now.push_back(space_.to_string(a));
      std::vector<std::string> then;  // the architectures asked (the lowest fidelity)
      for (const StoredTrial& t : stored)
        if (t.record.fidelity == rungs_[0]) then.push_back(t.record.arch);
      NAS_CHECK(now == then,
                "resuming the search in '{}': strategy '{}' proposed [{}] for batch {}, but the "
                "store holds [{}]; the strategy must be a deterministic function of its seed "
                "and what it was told",
                config_.output.string(), strategy_->name(), fmt::join(now, "; "), b.id,
                fmt::join(then, "; "));
      std::vector<TrialRecord> batch;
      std::vector<bool> done;
      for (StoredTrial& t : stored) {
        NAS_CHECK(t.record.id == next_id_, "the store's trials are not numbered 0, 1, ...");
        ++next_id_;
        done.push_back(t.done);
        if (t.done) {
          ++reused_;
          note(t.record, false);
        }
        batch.push_back(std::move(t.record));
      }
      asked_ += std::ssize(then);
      if (reused_ > 0) progress_.print();
      complete_batch(next_batch_++, batch, done);
    }
  }

  // Completes a batch: evaluates its trials not yet done, fidelity by fidelity (promoting
  // the best of each to the next, or checking the stored promotions are those), then tells
  // the strategy each asked architecture's result at the highest fidelity it reached.
  void complete_batch(int64_t batch_id, std::vector<TrialRecord>& batch, std::vector<bool>& done) {
    for (size_t rung = 0; rung < rungs_.size(); ++rung) {
      std::vector<size_t> members;
      for (size_t i = 0; i < batch.size(); ++i)
        if (batch[i].fidelity == rungs_[rung]) members.push_back(i);
      const bool last = rung + 1 == rungs_.size();
      for (size_t i : members) {
        batch[i].keep_checkpoint = !last;
        if (rung > 0 && !done[i]) {
          batch[i].start = checkpoint_below(batch, i);
          batch[i].known_latency = latency_below(batch, i);
        }
      }
      if (config_.fidelity.early_stopping) set_early_stopping(batch, members, rung);
      evaluate_pending(batch, done, members);
      if (last) break;
      std::vector<RungResult> results;  // a trial stopped early has nothing to continue
      for (size_t i : members)
        if (batch[i].result.status != evaluator::EvalStatus::Stopped)
          results.push_back({batch[i].id, trial_result(batch[i])});
      std::vector<std::string> promoted;
      for (int64_t id : halving_->promote(results, static_cast<int>(rung)))
        for (size_t i : members)
          if (batch[i].id == id) promoted.push_back(batch[i].arch);
      std::vector<std::string> stored;
      for (const TrialRecord& t : batch)
        if (t.fidelity == rungs_[rung + 1]) stored.push_back(t.arch);
      // The members not promoted need their checkpoints no more.
      for (size_t i : members)
        if (std::find(promoted.begin(), promoted.end(), batch[i].arch) == promoted.end())
          drop_checkpoint(batch[i]);
      if (!stored.empty()) {
        NAS_CHECK(stored == promoted,
                  "resuming the search in '{}': batch {} promoted [{}] to {} epochs, but the "
                  "store holds [{}]",
                  config_.output.string(), batch_id, fmt::join(promoted, "; "),
                  rungs_[rung + 1], fmt::join(stored, "; "));
        continue;
      }
      std::vector<TrialRecord> added;
      for (const std::string& arch : promoted) {
        added.push_back(new_trial(arch, rung + 1));
        added.back().batch = batch_id;
      }
      if (added.empty()) break;
      store_.add_trials(batch_id, added);
      total_ += std::ssize(added);
      progress_.set_total(total_);
      for (TrialRecord& t : added) {
        batch.push_back(std::move(t));
        done.push_back(false);
      }
    }
    std::map<std::string, size_t> highest;  // architecture -> its record at the highest fidelity
    for (size_t i = 0; i < batch.size(); ++i) {
      auto [it, fresh] = highest.emplace(batch[i].arch, i);
      if (!fresh && batch[i].fidelity > batch[it->second].fidelity) it->second = i;
      drop_checkpoint(batch[i]);
      batch[i].stop_early = nullptr;  // its rule holds the records of earlier batches
      records_.push_back(batch[i]);
    }
    std::vector<TrialResult> results;
    for (const TrialRecord& t : batch)
      if (t.fidelity == rungs_[0]) results.push_back(trial_result(batch[highest.at(t.arch)]));
    strategy_->tell(results);
  }

  // Early stopping for the members of a rung, judged against the batches finished so far
  // (a promoted member's costs are its lowest fidelity's: its latency is not measured again).
  void set_early_stopping(std::vector<TrialRecord>& batch, const std::vector<size_t>& members,
                          size_t rung) {
    const std::shared_ptr<const EarlyStopping> rule = EarlyStopping::from_records(
        records_, rungs_[rung], space_, config_.objectives, constraints_);
    if (!rule) return;
    for (size_t i : members)
      batch[i].stop_early = [rule](int64_t epochs_done, double accuracy,
                                   const evaluator::EvalResult& measured) {
        return rule->why_stop(epochs_done, accuracy, measured);
      };
  }

  TrialResult trial_result(const TrialRecord& t) const {
    return to_trial_result(space_.parse(t.arch), t.result, config_.objectives, constraints_);
  }

  // Evaluates the trials of `members` not yet done, committing each as it finishes. A
  // promoted trial keeps the latency its architecture measured at the lowest fidelity, so an
  // architecture has one latency in the records.
  void evaluate_pending(std::vector<TrialRecord>& batch, std::vector<bool>& done,
                        const std::vector<size_t>& members) {
    std::map<std::string, const TrialRecord*> measured;
    for (size_t i = 0; i < batch.size(); ++i)
      if (done[i] && batch[i].fidelity == rungs_[0]) measured[batch[i].arch] = &batch[i];
    std::vector<TrialRecord*> todo;
    for (size_t i : members)
      if (!done[i]) todo.push_back(&batch[i]);
    backend_.evaluate(todo, [&](const TrialRecord& evaluated) {
      std::lock_guard lock(mutex_);
      const size_t index = static_cast<size_t>(&evaluated - batch.data());
      TrialRecord& t = batch[index];
      const auto lower = measured.find(t.arch);
      if (t.fidelity != rungs_[0] && lower != measured.end() &&
          lower->second->result.status == evaluator::EvalStatus::Ok &&
          t.result.status == evaluator::EvalStatus::Ok)
        t.result.latency = lower->second->result.latency;
      done[index] = true;
      t.finished = utc_now();
      // The checkpoint is on disk before the trial is committed, so a resumed search finds
      // it (without it, a promoted trial trains from scratch to the same weights).
      if (t.checkpoint) {
        std::filesystem::create_directories(checkpoint_file(t.id).parent_path());
        evaluator::save_checkpoint(*t.checkpoint, checkpoint_file(t.id).string());
      }
      store_.finish_trial(t);
      ++evaluated_;
      note(t, true);
      progress_.print();
      if (options_.on_trial_committed) options_.on_trial_committed(t);
    });
  }

  // Successive halving's checkpoints: one file per trial whose training may be continued,
  // removed once it is not (not promoted, or its promoted trial is done).
  std::filesystem::path checkpoint_file(int64_t trial) const {
    return config_.output / "checkpoints" / fmt::format("trial_{}.ckpt", trial);
  }

  // The state batch[i] continues from: that of its architecture at the fidelity below, in
  // memory or, after a resume, on disk; null when neither has it (then it trains from
  // scratch, to the same weights).
  std::shared_ptr<const evaluator::TrainState> checkpoint_below(
      const std::vector<TrialRecord>& batch, size_t i) const {
    const TrialRecord* below = nullptr;
    for (const TrialRecord& t : batch)
      if (t.arch == batch[i].arch && t.fidelity < batch[i].fidelity &&
          (!below || t.fidelity > below->fidelity))
        below = &t;
    if (!below || below->result.status != evaluator::EvalStatus::Ok) return nullptr;
    if (below->checkpoint) return below->checkpoint;
    const std::filesystem::path file = checkpoint_file(below->id);
    if (!std::filesystem::exists(file)) return nullptr;
    try {
      return std::make_shared<const evaluator::TrainState>(
          evaluator::load_checkpoint(file.string()));
    } catch (const UserError&) {
      return nullptr;  // damaged: training from scratch gives the same weights
    }
  }

  // The latency batch[i]'s architecture measured at the lowest fidelity, when it was
  // evaluated there.
  std::map<std::string, evaluator::LatencyResult> latency_below(
      const std::vector<TrialRecord>& batch, size_t i) const {
    for (const TrialRecord& t : batch)
      if (t.arch == batch[i].arch && t.fidelity == rungs_[0] &&
          t.result.status == evaluator::EvalStatus::Ok)
        return t.result.latency;
    return {};
  }

  void drop_checkpoint(TrialRecord& t) {
    t.start.reset();
    t.checkpoint.reset();
    std::error_code ignored;  // a file that is not there is fine
    std::filesystem::remove(checkpoint_file(t.id), ignored);
  }

  void note(const TrialRecord& t, bool now) {
    const TrialResult r =
        to_trial_result(space_.parse(t.arch), t.result, config_.objectives, constraints_);
    progress_.add(r, r.ok ? std::optional<double>(t.result.accuracy) : std::nullopt, now);
  }

  const ExperimentConfig& config_;
  const space::SearchSpace& space_;
  const SearchOptions& options_;
  ExperimentStore& store_;
  EvaluationBackend& backend_;
  std::vector<ConstraintSpec> constraints_;
  std::vector<int64_t> rungs_;  // training epochs of each fidelity
  std::optional<SuccessiveHalving> halving_;  // with more than one fidelity
  double start_;
  std::ostream null_stream_{nullptr};
  Progress progress_;
  std::unique_ptr<Strategy> strategy_;
  std::mutex mutex_;
  std::vector<TrialRecord> records_;
  int64_t next_id_ = 0;
  int64_t next_batch_ = 0;
  int64_t asked_ = 0;  // architectures asked of the strategy
  int64_t total_ = 0;  // trials the progress line counts towards
  int64_t evaluated_ = 0;
  int64_t reused_ = 0;
};

}  // namespace

fs::path store_path(const fs::path& folder) { return folder / "experiment.db"; }

evaluator::DataSplits load_experiment_data(const ExperimentConfig& config,
                                           const space::SearchSpace& space) {
  // Synthetic images take the shape of the space's networks: that of its first architecture.
  space::Architecture first;
  first.choices.assign(space.decisions().size(), 0);
  return evaluator::load_data_splits(config.data, config.seed,
                                     /*load_test=*/config.final_training.trains_winners(),
                                     space.decode(first));
}

SearchOutcome run_search(const ExperimentConfig& config, const space::SearchSpace& space,
                         const evaluator::DataSplits& data, const SearchOptions& options) {
  std::unique_ptr<EvaluationBackend> local;
  if (!options.backend) {
    const HardwareRequirement required = config.hardware_requirement();
    const HardwareInfo here = this_machine();
    if (!matches(required, here))
      user_error("the targets of '{}' require {}, but this machine does not match ({}): "
                 "run the search where they are met, or under MPI with such ranks",
                 config.name, required.str(), why_not_matching(required, here));
    local = make_local_backend(config, space, data);
  }
  // Everything is checked before the first write: a corrected rerun into the same folder
  // then finds no store of a config that never ran.
  check_strategy(config, space);
  const fs::path folder = config.output;
  check_output_folder(folder);
  const fs::path db = store_path(folder);
  const bool existed = fs::exists(db);
  if (options.resume && !existed)
    user_error("--resume: there is no search to resume in '{}' (no {})", folder.string(),
               db.filename().string());
  try {
    fs::create_directories(folder);
  } catch (const fs::filesystem_error& e) {
    user_error("cannot create the output folder '{}': {}", folder.string(), e.code().message());
  }
  ExperimentStore store(db);
  const std::optional<StoredExperiment> stored = store.experiment();
  if (stored) {
    if (stored->resume_hash != config.resume_hash()) {
      const std::vector<std::string> changes =
          resume_key_changes(stored->resume_key, config.resume_key());
      user_error("config changed since the search in '{}' began: {}; rerun into a new output "
                 "folder (--set output=...)",
                 folder.string(),
                 changes.empty() ? std::string("(its hash differs)")
                                 : fmt::format("{}", fmt::join(changes, ", ")));
    }
    store.update_config(config.resolved_yaml);
  } else {
    store.create_experiment(config.resolved_yaml, config.resume_key(), config.resume_hash());
  }
  {
    std::ofstream out(folder / "config.yaml");
    out << config.resolved_yaml;
    if (!out) user_error("cannot write '{}'", (folder / "config.yaml").string());
  }
  Orchestrator orchestrator(config, space, options, store,
                            options.backend ? *options.backend : *local);
  SearchOutcome outcome = orchestrator.run();
  outcome.folder = folder;
  outcome.store = db;
  outcome.resumed = stored.has_value();
  return outcome;
}

}  // namespace nas::search
