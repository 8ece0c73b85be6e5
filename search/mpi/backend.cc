// Rank 0's side of an MPI search: hands candidates to free worker ranks and collects their
// records.
#include <algorithm>
#include <chrono>
#include <deque>
#include <map>

#include <mpi.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/support/error.h"
#include "search/mpi/channel.h"
#include "search/mpi/mpi_search.h"

namespace nas::search::mpi {

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

MpiBackend::MpiBackend(const ExperimentConfig& config, int ranks, std::ostream* log)
    : ranks_(ranks), hardware_(static_cast<size_t>(ranks)) {
  NAS_CHECK(ranks >= 2, "an MPI search needs a worker rank besides rank 0, got {} rank(s)",
            ranks);
  const std::string hash = config.resume_hash();
  std::vector<std::string> mismatched;
  for (int i = 1; i < ranks; ++i) {
    const Message m = receive(MPI_ANY_SOURCE);
    NAS_CHECK(m.tag == kHello, "rank {} sent tag {} before its hello", m.source, m.tag);
    hardware_[static_cast<size_t>(m.source)] = HardwareInfo::from_json(m.body.at("hardware"));
    const std::string theirs = m.body.at("config").get<std::string>();
    if (theirs != hash)
      mismatched.push_back(fmt::format("rank {} ({})", m.source, theirs));
  }
  if (!mismatched.empty())
    user_error("every rank must read the same config and space files, but {} read one with "
               "another resume hash than rank 0 ({}); give all ranks the same files (a shared "
               "folder on a cluster)",
               fmt::join(mismatched, ", "), hash);

  const HardwareRequirement required = config.hardware_requirement();
  std::vector<std::string> refused;
  for (int r = 1; r < ranks; ++r) {
    const HardwareInfo& h = hardware_[static_cast<size_t>(r)];
    const std::string why = why_not_matching(required, h);
    if (why.empty())
      eligible_.push_back(r);
    else
      refused.push_back(fmt::format("rank {} ({}): {}", r, h.str(), why));
  }
  if (eligible_.empty())
    user_error("the targets of '{}' require {}, and no worker rank matches: {}", config.name,
               required.str(), fmt::join(refused, "; "));

  if (log) {
    *log << fmt::format("MPI: {} ranks; rank 0 steers, {} evaluate{}\n", ranks,
                        eligible_.size(), required.empty() ? "" : " (" + required.str() + ")");
    for (int r = 1; r < ranks; ++r)
      *log << fmt::format("  rank {}: {}{}\n", r, hardware_[static_cast<size_t>(r)].str(),
                          std::find(eligible_.begin(), eligible_.end(), r) == eligible_.end()
                              ? "  (does not match; idle)"
                              : "");
    if (config.batch_size() < std::ssize(eligible_))
      *log << fmt::format("  note: batches of {} leave {} rank(s) idle; a larger budget.batch "
                          "keeps them busy (it changes the search)\n",
                          config.batch_size(), std::ssize(eligible_) - config.batch_size());
    *log << std::flush;
  }
}

MpiBackend::~MpiBackend() {
  // An exception on its way out means the job is being aborted; do not talk to the ranks.
  if (std::uncaught_exceptions() == 0) stop();
}

void MpiBackend::evaluate(const std::vector<TrialRecord*>& trials,
                          const std::function<void(const TrialRecord&)>& done) {
  NAS_CHECK(!stopped_, "evaluate() after stop()");
  std::deque<int> idle(eligible_.begin(), eligible_.end());
  struct Running {
    TrialRecord* trial;
    double sent;
  };
  std::map<int, Running> running;  // by rank
  size_t next = 0;
  while (next < trials.size() || !running.empty()) {
    while (next < trials.size() && !idle.empty()) {
      const int rank = idle.front();
      idle.pop_front();
      TrialRecord& t = *trials[next++];
      running[rank] = {&t, now_seconds()};
      send(rank, kWork, {{"id", t.id}, {"arch", t.arch}, {"fidelity", t.fidelity},
                         {"seed", t.seed}});
    }
    const Message m = receive(MPI_ANY_SOURCE);
    NAS_CHECK(m.tag == kResult, "rank {} sent tag {} while evaluating", m.source, m.tag);
    auto it = running.find(m.source);
    NAS_CHECK(it != running.end(), "rank {} sent a result it was not asked for", m.source);
    TrialRecord& t = *it->second.trial;
    NAS_CHECK(m.body.at("id").get<int64_t>() == t.id, "rank {} sent trial {} for trial {}",
              m.source, m.body.at("id").dump(), t.id);
    t.result = evaluator::EvalResult::from_json(m.body.at("result"));
    t.seconds = m.body.at("seconds").get<double>();
    ++exchange_.candidates;
    exchange_.overhead_seconds += now_seconds() - it->second.sent - t.seconds;
    exchange_.evaluation_seconds += t.seconds;
    running.erase(it);
    idle.push_back(m.source);
    done(t);
  }
}

void MpiBackend::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (int r = 1; r < ranks_; ++r) send(r, kStop, nullptr);
}

}  // namespace nas::search::mpi
