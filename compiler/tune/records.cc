#include "compiler/tune/records.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sqlite3.h>

#include "compiler/support/error.h"
#include "compiler/support/sqlite_statement.h"

namespace nas::tune {

namespace {

constexpr int kFormat = 1;  // PRAGMA user_version of a records file

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS measurements (
  id INTEGER PRIMARY KEY,
  workload TEXT NOT NULL,
  target TEXT NOT NULL,
  family TEXT NOT NULL,
  kernel TEXT NOT NULL,
  params TEXT NOT NULL,
  ms REAL,
  error TEXT NOT NULL,
  features TEXT NOT NULL,
  work INTEGER NOT NULL,
  created TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE INDEX IF NOT EXISTS measurements_key ON measurements (workload, target);
CREATE TABLE IF NOT EXISTS finished (
  workload TEXT NOT NULL,
  target TEXT NOT NULL,
  trials INTEGER NOT NULL,
  PRIMARY KEY (workload, target)
);
CREATE TABLE IF NOT EXISTS in_model (
  workload TEXT NOT NULL,
  target TEXT NOT NULL,
  params TEXT NOT NULL,
  default_ms REAL NOT NULL,
  tuned_ms REAL NOT NULL,
  created TEXT NOT NULL DEFAULT (datetime('now')),
  PRIMARY KEY (workload, target, params)
);
CREATE TABLE IF NOT EXISTS conv_algorithm (
  conv TEXT NOT NULL,
  target TEXT NOT NULL,
  winograd_ms REAL NOT NULL,
  direct_ms REAL NOT NULL,
  created TEXT NOT NULL DEFAULT (datetime('now')),
  PRIMARY KEY (conv, target)
);
CREATE TABLE IF NOT EXISTS fitted (
  target TEXT PRIMARY KEY,
  fields TEXT NOT NULL,
  created TEXT NOT NULL DEFAULT (datetime('now'))
);
)";

constexpr const char* kColumns = "workload, target, family, kernel, params, ms, error, features, work";

}  // namespace

std::string target_key(const target::Target& target) {
  return fmt::format("{} {} {} threads={}", target.triple, target.cpu,
                     fmt::join(target.features, ","), target.threads);
}

std::string workload_hex(uint64_t workload) { return fmt::format("{:016x}", workload); }

TuningRecords::TuningRecords(const std::filesystem::path& path) : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    user_error("cannot open tuning records '{}': {}", path.string(), message);
  }
  try {
    sqlite3_busy_timeout(db_, 10000);
    exec("PRAGMA journal_mode=WAL");
    // Searches' workers open the same file at once: the check and the schema are one
    // write transaction, so none sees another's tables before their format is set.
    exec("BEGIN IMMEDIATE");
    auto read_integer = [&](const char* sql) {
      SqliteStatement s(db_, sql, label());
      s.step();
      return s.integer(0);
    };
    const int64_t format = read_integer("PRAGMA user_version");
    if (read_integer("SELECT count(*) FROM sqlite_master") > 0 && format != kFormat) {
      exec("ROLLBACK");
      user_error("'{}' is not a tuning records file of format {} (it has format {})",
                 path.string(), kFormat, format);
    }
    exec(kSchema);
    exec(fmt::format("PRAGMA user_version = {}", kFormat));
    exec("COMMIT");
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

TuningRecords::~TuningRecords() { sqlite3_close(db_); }

std::string TuningRecords::label() const {
  return fmt::format("tuning records '{}'", path_.string());
}

void TuningRecords::exec(const std::string& sql) const {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    user_error("{}: {}", label(), message);
  }
}

void TuningRecords::add(const Measurement& m) {
  SqliteStatement s(db_,
                    fmt::format("INSERT INTO measurements ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                kColumns),
                    label());
  s.bind(1, workload_hex(m.workload)).bind(2, m.target).bind(3, m.family).bind(4, m.kernel);
  s.bind(5, m.params.dump());
  if (m.ms) s.bind(6, *m.ms);
  s.bind(7, m.error).bind(8, nlohmann::json(m.features).dump()).bind(9, m.work);
  s.step();
}

std::vector<Measurement> TuningRecords::select(const std::string& where_sql,
                                               const std::vector<std::string>& binds) const {
  SqliteStatement s(db_, fmt::format("SELECT {} FROM measurements {}", kColumns, where_sql),
                    label());
  for (size_t i = 0; i < binds.size(); ++i) s.bind(static_cast<int>(i + 1), binds[i]);
  std::vector<Measurement> rows;
  while (s.step()) {
    Measurement m;
    m.workload = std::stoull(s.text(0), nullptr, 16);
    m.target = s.text(1);
    m.family = s.text(2);
    m.kernel = s.text(3);
    m.params = nlohmann::json::parse(s.text(4));
    if (!s.null(5)) m.ms = s.real(5);
    m.error = s.text(6);
    m.features = nlohmann::json::parse(s.text(7)).get<std::vector<double>>();
    m.work = s.integer(8);
    rows.push_back(std::move(m));
  }
  return rows;
}

std::optional<Measurement> TuningRecords::best(uint64_t workload, const std::string& target) const {
  std::vector<Measurement> rows =
      select("WHERE workload = ? AND target = ? AND ms IS NOT NULL ORDER BY ms, id LIMIT 1",
             {workload_hex(workload), target});
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

std::vector<Measurement> TuningRecords::of(uint64_t workload, const std::string& target) const {
  return select("WHERE workload = ? AND target = ? ORDER BY id", {workload_hex(workload), target});
}

void TuningRecords::finish(uint64_t workload, const std::string& target, int trials) {
  SqliteStatement s(db_,
                    "INSERT INTO finished (workload, target, trials) VALUES (?, ?, ?) "
                    "ON CONFLICT (workload, target) DO UPDATE SET trials = max(trials, excluded.trials)",
                    label());
  s.bind(1, workload_hex(workload)).bind(2, target).bind(3, int64_t{trials});
  s.step();
}

int TuningRecords::finished_trials(uint64_t workload, const std::string& target) const {
  SqliteStatement s(db_, "SELECT trials FROM finished WHERE workload = ? AND target = ?", label());
  s.bind(1, workload_hex(workload)).bind(2, target);
  return s.step() ? static_cast<int>(s.integer(0)) : 0;
}

std::vector<Measurement> TuningRecords::passed(size_t limit) const {
  if (limit == 0) return select("WHERE ms IS NOT NULL ORDER BY id", {});
  std::vector<Measurement> rows = select(
      fmt::format("WHERE ms IS NOT NULL ORDER BY id DESC LIMIT {}", limit), {});
  std::ranges::reverse(rows);
  return rows;
}

void TuningRecords::set_fitted(const std::string& target, const nlohmann::json& fields) {
  SqliteStatement s(db_,
                    "INSERT INTO fitted (target, fields) VALUES (?, ?) ON CONFLICT (target) DO "
                    "UPDATE SET fields = excluded.fields, created = datetime('now')",
                    label());
  s.bind(1, target).bind(2, fields.dump());
  s.step();
}

target::ScheduleParams TuningRecords::fitted_schedule(const target::Target& target) const {
  SqliteStatement s(db_, "SELECT fields FROM fitted WHERE target = ?", label());
  s.bind(1, target_key(target));
  if (!s.step()) return target.schedule;
  return target.schedule.with_json(nlohmann::json::parse(s.text(0)));
}

void TuningRecords::set_in_model(const InModelTiming& timing) {
  SqliteStatement s(db_,
                    "INSERT INTO in_model (workload, target, params, default_ms, tuned_ms) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (workload, target, params) DO UPDATE SET "
                    "default_ms = excluded.default_ms, tuned_ms = excluded.tuned_ms, "
                    "created = datetime('now')",
                    label());
  s.bind(1, workload_hex(timing.workload)).bind(2, timing.target).bind(3, timing.params.dump());
  s.bind(4, timing.default_ms).bind(5, timing.tuned_ms);
  s.step();
}

std::optional<InModelTiming> TuningRecords::in_model(uint64_t workload, const std::string& target,
                                                     const nlohmann::json& params) const {
  SqliteStatement s(db_,
                    "SELECT default_ms, tuned_ms FROM in_model WHERE workload = ? AND target = ? "
                    "AND params = ?",
                    label());
  s.bind(1, workload_hex(workload)).bind(2, target).bind(3, params.dump());
  if (!s.step()) return std::nullopt;
  return InModelTiming{workload, target, params, s.real(0), s.real(1)};
}

void TuningRecords::set_conv_algorithm(const ConvAlgorithmTiming& timing) {
  SqliteStatement s(db_,
                    "INSERT INTO conv_algorithm (conv, target, winograd_ms, direct_ms) VALUES "
                    "(?, ?, ?, ?) ON CONFLICT (conv, target) DO UPDATE SET winograd_ms = "
                    "excluded.winograd_ms, direct_ms = excluded.direct_ms, created = "
                    "datetime('now')",
                    label());
  s.bind(1, timing.conv).bind(2, timing.target);
  s.bind(3, timing.winograd_ms).bind(4, timing.direct_ms);
  s.step();
}

std::optional<ConvAlgorithmTiming> TuningRecords::conv_algorithm(const std::string& conv,
                                                                 const std::string& target) const {
  SqliteStatement s(db_,
                    "SELECT winograd_ms, direct_ms FROM conv_algorithm WHERE conv = ? AND "
                    "target = ?",
                    label());
  s.bind(1, conv).bind(2, target);
  if (!s.step()) return std::nullopt;
  return ConvAlgorithmTiming{conv, target, s.real(0), s.real(1)};
}

std::function<bool(const std::string&)> TuningRecords::direct_convolutions(
    const target::Target& target) const {
  auto direct = std::make_shared<std::set<std::string>>();
  SqliteStatement s(db_,
                    "SELECT conv FROM conv_algorithm WHERE target = ? AND direct_ms < winograd_ms",
                    label());
  s.bind(1, target_key(target));
  while (s.step()) direct->insert(s.text(0));
  return [direct](const std::string& conv) { return direct->contains(conv); };
}

std::function<std::optional<target::ScheduleParams>(uint64_t)> TuningRecords::best_params(
    const target::Target& target) const {
  const std::string key = target_key(target);
  std::set<std::pair<std::string, std::string>> lost_in_model;  // (workload, params)
  {
    SqliteStatement s(db_,
                      "SELECT workload, params FROM in_model WHERE target = ? AND "
                      "tuned_ms > default_ms",
                      label());
    s.bind(1, key);
    while (s.step()) lost_in_model.emplace(s.text(0), s.text(1));
  }
  // The fastest of each workload: rows by time, the first of each workload decides.
  std::map<uint64_t, target::ScheduleParams> best;
  std::set<uint64_t> seen;
  for (const Measurement& m :
       select("WHERE target = ? AND ms IS NOT NULL ORDER BY ms, id", {key})) {
    if (!seen.insert(m.workload).second) continue;
    if (!lost_in_model.contains({workload_hex(m.workload), m.params.dump()}))
      best.emplace(m.workload, target.schedule.with_json(m.params));
  }
  auto table = std::make_shared<const std::map<uint64_t, target::ScheduleParams>>(std::move(best));
  return [table](uint64_t workload) -> std::optional<target::ScheduleParams> {
    const auto it = table->find(workload);
    if (it == table->end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace nas::tune
