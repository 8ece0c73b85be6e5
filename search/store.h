// The experiment store: one SQLite file (WAL journal, synchronous=FULL) holding the
// experiment (its resolved config and resume key), every batch the strategy was asked for
// and every trial of it. A batch's trials are written as pending in the same transaction as
// the batch, and each result is committed when its evaluation finishes, before the strategy
// is told: a killed search loses at most the evaluations that were running, and a resumed
// one knows exactly what was asked and what is left to evaluate.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/trial.h"

struct sqlite3;

namespace nas::search {

struct StoredExperiment {
  std::string config_yaml;  // the resolved config the search began with
  nlohmann::json resume_key;
  std::string resume_hash;
  std::string created;  // UTC, ISO 8601
};

struct StoredBatch {
  int64_t id = 0;
  int64_t requested = 0;  // the n of its ask(n)
};

// A trial as stored: its record, complete once `done`.
// The time now in UTC, "2026-12-06T11:05:00Z" (TrialRecord::finished).
std::string utc_now();

struct StoredTrial {
  TrialRecord record;
  bool done = false;
};

class ExperimentStore {
 public:
  // Opens (creating if needed) the store at `path`; UserError naming the file when it cannot
  // be opened or is not an experiment store.
  explicit ExperimentStore(const std::filesystem::path& path);
  ~ExperimentStore();
  ExperimentStore(const ExperimentStore&) = delete;
  ExperimentStore& operator=(const ExperimentStore&) = delete;

  std::optional<StoredExperiment> experiment() const;
  void create_experiment(const std::string& config_yaml, const nlohmann::json& resume_key,
                         const std::string& resume_hash);
  // The latest resolved config (a resumed search may change its budget).
  void update_config(const std::string& config_yaml);

  // Records batch `id` (ids count from 0) asked with ask(requested) and its trials, pending,
  // in one transaction.
  void add_batch(int64_t id, int64_t requested, const std::vector<TrialRecord>& trials);
  // Adds pending trials to batch `id`, which exists (promotions of a fidelity scheduler), in
  // one transaction.
  void add_trials(int64_t id, const std::vector<TrialRecord>& trials);
  // Commits a finished trial's result (the trial must be pending).
  void finish_trial(const TrialRecord& record);

  std::vector<StoredBatch> batches() const;
  std::vector<StoredTrial> trials() const;  // in id order

  std::string journal_mode() const;  // "wal"
  const std::filesystem::path& path() const { return path_; }

 private:
  void exec(const std::string& sql) const;
  // Inserts pending trials into batch `id`, creating the batch first when given its size.
  void insert_trials(int64_t id, std::optional<int64_t> new_batch_requested,
                     const std::vector<TrialRecord>& trials);

  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

}  // namespace nas::search
