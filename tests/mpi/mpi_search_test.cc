// `mpirun -np 3 nas search`: the same trials and deterministic results as one process with
// the same seed; a job killed midway (a rank dies, so MPI ends the job) resumes from the
// store to the same end; a target requirement no rank meets stops the search at start.
// Skipped where this build has no MPI or mpirun is missing.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_util.h"

namespace nas::testing {
namespace {

using ::testing::HasSubstr;

const std::string kSmoke = std::string(NAS_SOURCE_DIR) + "/configs/synthetic_smoke.yaml";
// Six candidates in batches of two; a shorter latency protocol (latencies are not compared).
const std::vector<std::string> kSettings = {"--set", "budget.candidates=6", "--set",
                                            "timing.max_seconds=0.1"};
const std::vector<std::string> kMpirun = {"mpirun", "--allow-run-as-root", "--oversubscribe",
                                          "-np", "3"};

bool mpi_available(std::string& why) {
#ifndef NAS_WITH_MPI
  why = "this build has no MPI (NAS_WITH_MPI)";
  return false;
#else
  if (std::system("mpirun --version >/dev/null 2>&1") != 0) {
    why = "mpirun is not installed";
    return false;
  }
  if (std::system("mpirun --allow-run-as-root --oversubscribe -np 2 true >/dev/null 2>&1") != 0) {
    why = "mpirun cannot start 2 processes here";
    return false;
  }
  return true;
#endif
}

#define SKIP_WITHOUT_MPI()                       \
  do {                                           \
    std::string why;                             \
    if (!mpi_available(why)) GTEST_SKIP() << why; \
  } while (0)

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) out += ' ';
    out += '\'';
    out += w;
    out += '\'';
  }
  return out;
}

std::vector<std::string> search_args(const std::string& output) {
  std::vector<std::string> args = {NAS_BINARY, "search", kSmoke, "--set", "output=" + output};
  args.insert(args.end(), kSettings.begin(), kSettings.end());
  return args;
}

std::vector<std::string> under_mpirun(std::vector<std::string> args) {
  args.insert(args.begin(), kMpirun.begin(), kMpirun.end());
  return args;
}

Result run(const std::vector<std::string>& args) {
  const std::string out = (test_temp_dir() / "stdout.txt").string();
  const std::string err = (test_temp_dir() / "stderr.txt").string();
  const int status = std::system((joined(args) + " >" + out + " 2>" + err).c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

// Trials whose result the store holds (0 while there is no store yet).
int64_t finished_trials(const std::string& db) {
  if (!std::filesystem::exists(db)) return 0;
  sqlite3* handle = nullptr;
  int64_t n = 0;
  if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(handle, 1000);
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(handle, "SELECT count(*) FROM trials WHERE status != 'pending'", -1,
                           &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
      n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
  }
  sqlite3_close(handle);
  return n;
}

// Starts ARGS in a process group of its own, output thrown away; returns its pid.
pid_t spawn(const std::vector<std::string>& args) {
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  setpgid(pid, pid);
  return pid;
}

// The pid of the process started by `parent` whose MPI rank is `rank`, or 0.
pid_t rank_pid(pid_t parent, int rank) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid != parent) continue;
    const std::string environ = slurp((entry.path() / "environ").string());
    if (environ.find("OMPI_COMM_WORLD_RANK=" + std::to_string(rank) + '\0') != std::string::npos)
      return std::stoi(name);
  }
  return 0;
}

// Waits for `pid` to end, killing its process group after `seconds`; its exit status.
int wait_for(pid_t pid, double seconds) {
  const auto limit = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > limit) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return status;
}

TEST(MpiSearch, ThreeRanksGiveTheSingleProcessResults) {
  SKIP_WITHOUT_MPI();
  TempDir dir;
  const std::string single = (dir / "single").string(), ranks = (dir / "ranks").string();
  const Result one = run(search_args(single));
  ASSERT_EQ(one.code, 0) << one.err;
  const Result three = run(under_mpirun(search_args(ranks)));
  ASSERT_EQ(three.code, 0) << three.out << three.err;
  EXPECT_THAT(three.out, HasSubstr("MPI: 3 ranks; rank 0 steers, 2 evaluate"));
  EXPECT_THAT(three.out, HasSubstr("6 trials (6 evaluated now, 0 from the store), 0 failed"));
  EXPECT_THAT(three.out, HasSubstr("MPI exchange: 6 candidates"));
  const nlohmann::json expected = deterministic_trials(single + "/results.json");
  ASSERT_EQ(expected.size(), 6u);
  EXPECT_EQ(deterministic_trials(ranks + "/results.json"), expected);
}

TEST(MpiSearch, AJobKilledMidwayResumesToTheSameResults) {
  SKIP_WITHOUT_MPI();
  TempDir dir;
  const std::string single = (dir / "single").string(), killed = (dir / "killed").string();
  ASSERT_EQ(run(search_args(single)).code, 0);

  // A worker rank dies once two results are stored, then rank 0 once four are: each time
  // MPI ends the job.
  int64_t before = 0;
  for (const auto& [rank, after] : std::vector<std::pair<int, int64_t>>{{2, 2}, {0, 4}}) {
    const pid_t mpirun = spawn(under_mpirun(search_args(killed)));
    ASSERT_GT(mpirun, 0);
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (finished_trials(killed + "/experiment.db") < after &&
           std::chrono::steady_clock::now() < limit)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const pid_t victim = rank_pid(mpirun, rank);
    ASSERT_GT(victim, 0) << "rank " << rank << " of mpirun " << mpirun << " not found";
    kill(victim, SIGKILL);
    const int status = wait_for(mpirun, 60);
    EXPECT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the job outlived rank " << rank;
    const int64_t stored = finished_trials(killed + "/experiment.db");
    EXPECT_GE(stored, after);
    EXPECT_GE(stored, before);
    before = stored;
  }
  ASSERT_LT(before, 6) << "the job finished before it was killed; nothing was resumed";

  const Result resumed = run(under_mpirun(search_args(killed)));
  ASSERT_EQ(resumed.code, 0) << resumed.out << resumed.err;
  // Nothing lost, nothing done twice: the stored results are reused, the rest evaluated.
  EXPECT_THAT(resumed.out, HasSubstr(fmt::format("6 trials ({} evaluated now, {} from the store)",
                                                 6 - before, before)));
  EXPECT_EQ(deterministic_trials(killed + "/results.json"),
            deterministic_trials(single + "/results.json"));
}

TEST(MpiSearch, CandidatesThatFailOnARankAreRecordedAndTheSearchGoesOn) {
  SKIP_WITHOUT_MPI();
  TempDir dir;
  // A learning rate that makes every training run diverge (quickly, and deterministically).
  auto args = [&](const std::string& output) {
    std::vector<std::string> a = search_args(output);
    for (const char* s : {"budget.candidates=4", "training.lr=100000"}) {
      a.push_back("--set");
      a.push_back(s);
    }
    return a;
  };
  const std::string single = (dir / "single").string(), ranks = (dir / "ranks").string();
  ASSERT_EQ(run(args(single)).code, 0);
  const Result r = run(under_mpirun(args(ranks)));
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("4 trials (4 evaluated now, 0 from the store), 4 failed"));
  const nlohmann::json trials = deterministic_trials(ranks + "/results.json");
  ASSERT_EQ(trials.size(), 4u);
  for (const nlohmann::json& t : trials) {
    EXPECT_EQ(t["result"]["status"], "diverged");
    EXPECT_THAT(t["result"]["reason"].get<std::string>(), HasSubstr("loss became"));
  }
  EXPECT_EQ(trials, deterministic_trials(single + "/results.json"));
}

TEST(MpiSearch, StopsAtStartWhenNoRankHasTheRequiredHardware) {
  SKIP_WITHOUT_MPI();
  TempDir dir;
  std::vector<std::string> args = under_mpirun(search_args((dir / "out").string()));
  args.push_back("--set");
  args.push_back("targets.0.requires={cpu: cortex-a76}");
  const Result r = run(args);
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("the targets of 'synthetic_smoke' require cpu cortex-a76, and no "
                               "worker rank matches: rank 1 ("));
  EXPECT_FALSE(std::filesystem::exists(dir / "out" / "experiment.db"));
}

TEST(MpiSearch, ABuildWithoutMpiRefusesToRunAsSeveralRanks) {
#ifdef NAS_WITH_MPI
  GTEST_SKIP() << "this build has MPI; the refusal is for builds without it";
#else
  TempDir dir;
  // What mpirun tells each of the processes it starts.
  const std::string env = "OMPI_COMM_WORLD_SIZE=3 OMPI_COMM_WORLD_RANK=0 ";
  const std::string out = (test_temp_dir() / "stdout.txt").string();
  const std::string err = (test_temp_dir() / "stderr.txt").string();
  const int status = std::system((env + joined(search_args((dir / "ranks").string())) + " >" +
                                  out + " 2>" + err).c_str());
  expect_user_error({WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)},
                    "started as 3 MPI ranks, but this nas was built without MPI");
  EXPECT_FALSE(std::filesystem::exists(dir / "ranks" / "experiment.db"));
#endif
}

}  // namespace
}  // namespace nas::testing
