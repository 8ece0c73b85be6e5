// A search on several MPI ranks (`mpirun -np N nas search CONFIG`, or `srun`): rank 0 runs
// the orchestrator (strategy, store, reports) and steers; every other rank evaluates the
// candidates rank 0 sends it, one at a time, and sends back their records. Compiled only
// when CMake finds MPI (NAS_WITH_MPI).
//
// Protocol (point to point on MPI_COMM_WORLD, JSON text as MPI_CHAR):
//   worker -> 0  hello   {rank, hardware, config hash}   once, when it is ready
//   0 -> worker  work    {id, arch, fidelity, seed}
//   worker -> 0  result  {id, result, seconds}           also means "free for more work"
//   0 -> worker  stop    (empty)
// Rank 0 receives from MPI_ANY_SOURCE, so a rank asks for work by finishing its last one.
// The batches are the ones the config fixes (budget.batch), and the orchestrator tells
// results in ask order whatever order they arrive in: the search's results do not depend on
// the number of ranks. Both sides poll (MPI_Iprobe with a short sleep) rather than block,
// since Open MPI's blocking receive spins a core that a worker on the same machine needs.
//
// Failures: a candidate that fails on a rank comes back as a failed record, like in one
// process. A rank that dies ends the job (MPI's default error handler); the store holds every
// result committed before, and the same command resumes the search from it.
#pragma once

#include <cstdint>
#include <ostream>
#include <vector>

#include "evaluator/data/dataset.h"
#include "search/config.h"
#include "search/evaluation_backend.h"
#include "search/hardware.h"
#include "space/search_space.h"

namespace nas::search::mpi {

// MPI for the life of one command: initialised (MPI_THREAD_FUNNELED: only the main thread
// calls MPI) when made, finalised when destroyed.
class Session {
 public:
  Session();
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // Ends every rank of the job with `code` (a rank that stops alone would leave the others
  // waiting for it).
  [[noreturn]] void abort(int code) const;

 private:
  int rank_ = 0;
  int size_ = 1;
};

// A rank other than 0: says hello, then evaluates what rank 0 sends until it says stop.
void serve_evaluations(const ExperimentConfig& config, const space::SearchSpace& space,
                       const evaluator::DataSplits& data);

// Rank 0's backend: sends each candidate to a free worker rank that meets the targets'
// hardware requirements.
class MpiBackend : public EvaluationBackend {
 public:
  // What the exchange costs: per candidate, rank 0's round trip (send to receive) less the
  // evaluation time the worker measured.
  struct Exchange {
    int64_t candidates = 0;
    double overhead_seconds = 0;    // summed
    double evaluation_seconds = 0;  // summed
  };

  // Waits for every worker's hello; UserError when a rank read another config, or when no
  // rank meets the hardware the targets require. Lists the ranks on `log` (may be null).
  MpiBackend(const ExperimentConfig& config, int ranks, std::ostream* log);
  ~MpiBackend() override;

  void evaluate(const std::vector<TrialRecord*>& trials,
                const std::function<void(const TrialRecord&)>& done) override;
  // Tells every worker to stop (once; the destructor does it if not done).
  void stop();

  const Exchange& exchange() const { return exchange_; }
  // Worker ranks that may evaluate candidates, in rank order.
  const std::vector<int>& eligible() const { return eligible_; }

 private:
  int ranks_;
  std::vector<HardwareInfo> hardware_;  // by rank (rank 0's entry unused)
  std::vector<int> eligible_;
  Exchange exchange_;
  bool stopped_ = false;
};

}  // namespace nas::search::mpi
