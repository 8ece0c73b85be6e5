#include "search/store.h"

#include <ctime>

#include <fmt/format.h>
#include <sqlite3.h>

#include "compiler/support/error.h"
#include "compiler/support/sqlite_statement.h"

namespace nas::search {

namespace {

constexpr int kFormat = 1;

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS experiment (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  format INTEGER NOT NULL,
  config_yaml TEXT NOT NULL,
  resume_key TEXT NOT NULL,
  resume_hash TEXT NOT NULL,
  created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
  id INTEGER PRIMARY KEY,
  requested INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS trials (
  id INTEGER PRIMARY KEY,
  batch INTEGER NOT NULL REFERENCES batches(id),
  arch TEXT NOT NULL,
  fidelity INTEGER NOT NULL,
  seed INTEGER NOT NULL,
  status TEXT NOT NULL,           -- pending, ok, failed, diverged, timed_out
  reason TEXT NOT NULL DEFAULT '',
  accuracy REAL,
  params INTEGER,
  flops INTEGER,
  peak_memory INTEGER,
  result_json TEXT,               -- the full evaluation record
  seconds REAL,
  finished TEXT
);
)sql";

}  // namespace

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

// Statements of the store, whose errors name it.
class Statement : public SqliteStatement {
 public:
  Statement(sqlite3* db, const std::string& sql, const std::filesystem::path& path)
      : SqliteStatement(db, sql, fmt::format("experiment store '{}'", path.string())) {}
};

}  // namespace

ExperimentStore::ExperimentStore(const std::filesystem::path& path) : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    user_error("cannot open experiment store '{}': {}", path.string(), message);
  }
  try {
    sqlite3_busy_timeout(db_, 10000);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=FULL");
    exec("PRAGMA foreign_keys=ON");
    exec(kSchema);
    if (auto e = experiment(); e) {
      Statement s(db_, "SELECT format FROM experiment", path_);
      s.step();
      if (s.integer(0) != kFormat)
        user_error("experiment store '{}' has format {}, this nas reads format {}",
                   path.string(), s.integer(0), kFormat);
    }
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

ExperimentStore::~ExperimentStore() { sqlite3_close(db_); }

void ExperimentStore::exec(const std::string& sql) const {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    user_error("experiment store '{}': {}", path_.string(), message);
  }
}

std::string ExperimentStore::journal_mode() const {
  Statement s(db_, "PRAGMA journal_mode", path_);
  s.step();
  return s.text(0);
}

std::optional<StoredExperiment> ExperimentStore::experiment() const {
  Statement s(db_, "SELECT config_yaml, resume_key, resume_hash, created FROM experiment",
              path_);
  if (!s.step()) return std::nullopt;
  StoredExperiment e;
  e.config_yaml = s.text(0);
  try {
    e.resume_key = nlohmann::json::parse(s.text(1));
  } catch (const nlohmann::json::exception& x) {
    user_error("experiment store '{}': malformed resume key: {}", path_.string(), x.what());
  }
  e.resume_hash = s.text(2);
  e.created = s.text(3);
  return e;
}

void ExperimentStore::create_experiment(const std::string& config_yaml,
                                        const nlohmann::json& resume_key,
                                        const std::string& resume_hash) {
  Statement s(db_,
              "INSERT INTO experiment (id, format, config_yaml, resume_key, resume_hash, "
              "created) VALUES (1, ?, ?, ?, ?, ?)",
              path_);
  s.bind(1, int64_t{kFormat}).bind(2, config_yaml).bind(3, resume_key.dump());
  s.bind(4, resume_hash).bind(5, utc_now());
  s.step();
}

void ExperimentStore::update_config(const std::string& config_yaml) {
  Statement s(db_, "UPDATE experiment SET config_yaml = ? WHERE id = 1", path_);
  s.bind(1, config_yaml);
  s.step();
}

void ExperimentStore::add_batch(int64_t id, int64_t requested,
                                const std::vector<TrialRecord>& trials) {
  insert_trials(id, requested, trials);
}

void ExperimentStore::add_trials(int64_t id, const std::vector<TrialRecord>& trials) {
  insert_trials(id, std::nullopt, trials);
}

void ExperimentStore::insert_trials(int64_t id, std::optional<int64_t> new_batch_requested,
                                    const std::vector<TrialRecord>& trials) {
  exec("BEGIN IMMEDIATE");
  try {
    if (new_batch_requested) {
      Statement s(db_, "INSERT INTO batches (id, requested) VALUES (?, ?)", path_);
      s.bind(1, id).bind(2, *new_batch_requested);
      s.step();
    }
    for (const TrialRecord& t : trials) {
      NAS_CHECK(t.batch == id, "trial {} of batch {} added with batch {}", t.id, t.batch, id);
      Statement s(db_,
                  "INSERT INTO trials (id, batch, arch, fidelity, seed, status) "
                  "VALUES (?, ?, ?, ?, ?, 'pending')",
                  path_);
      s.bind(1, t.id).bind(2, t.batch).bind(3, t.arch).bind(4, t.fidelity);
      s.bind(5, static_cast<int64_t>(t.seed));
      s.step();
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void ExperimentStore::finish_trial(const TrialRecord& t) {
  const evaluator::EvalResult& r = t.result;
  Statement s(db_,
              "UPDATE trials SET status = ?, reason = ?, accuracy = ?, params = ?, flops = ?, "
              "peak_memory = ?, result_json = ?, seconds = ?, finished = ? "
              "WHERE id = ? AND status = 'pending'",
              path_);
  s.bind(1, std::string(evaluator::status_name(r.status))).bind(2, r.reason);
  s.bind(3, r.accuracy).bind(4, r.cost.parameters).bind(5, r.cost.flops);
  s.bind(6, r.cost.peak_activation_bytes).bind(7, r.to_json().dump());
  s.bind(8, t.seconds).bind(9, t.finished.empty() ? utc_now() : t.finished).bind(10, t.id);
  s.step();
  NAS_CHECK(sqlite3_changes(db_) == 1, "trial {} finished twice or never added", t.id);
}

std::vector<StoredBatch> ExperimentStore::batches() const {
  Statement s(db_, "SELECT id, requested FROM batches ORDER BY id", path_);
  std::vector<StoredBatch> out;
  while (s.step()) out.push_back({s.integer(0), s.integer(1)});
  return out;
}

std::vector<StoredTrial> ExperimentStore::trials() const {
  Statement s(db_,
              "SELECT id, batch, arch, fidelity, seed, status, result_json, seconds, "
              "coalesce(finished, '') FROM trials ORDER BY id",
              path_);
  std::vector<StoredTrial> out;
  while (s.step()) {
    StoredTrial t;
    t.record.id = s.integer(0);
    t.record.batch = s.integer(1);
    t.record.arch = s.text(2);
    t.record.fidelity = s.integer(3);
    t.record.seed = static_cast<uint64_t>(s.integer(4));
    t.done = s.text(5) != "pending";
    if (t.done) {
      try {
        t.record.result = evaluator::EvalResult::from_json(nlohmann::json::parse(s.text(6)));
      } catch (const nlohmann::json::exception& x) {
        user_error("experiment store '{}': trial {} has a malformed result: {}", path_.string(),
                   t.record.id, x.what());
      }
      t.record.seconds = s.real(7);
      t.record.finished = s.text(8);
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace nas::search
