// A worker rank: evaluates the candidates rank 0 sends, one at a time, with the same
// evaluate_trial() a single-process search uses.
#include "compiler/support/error.h"
#include "search/mpi/channel.h"
#include "search/mpi/mpi_search.h"

namespace nas::search::mpi {

void serve_evaluations(const ExperimentConfig& config, const space::SearchSpace& space,
                       const evaluator::DataSplits& data) {
  // One candidate at a time: no other evaluation shares this process, so no gate.
  const evaluator::EvaluationConfig eval = evaluation_config(config, nullptr);
  send(0, kHello,
       {{"hardware", this_machine().to_json()}, {"config", config.resume_hash()}});
  for (;;) {
    const Message m = receive(0);
    if (m.tag == kStop) return;
    NAS_CHECK(m.tag == kWork, "a worker rank got a message with tag {} from rank 0", m.tag);
    TrialRecord trial;
    try {
      trial.id = m.body.at("id").get<int64_t>();
      trial.arch = m.body.at("arch").get<std::string>();
      trial.fidelity = m.body.at("fidelity").get<int64_t>();
      trial.seed = m.body.at("seed").get<uint64_t>();
    } catch (const nlohmann::json::exception& e) {
      NAS_CHECK(false, "malformed work message {}: {}", m.body.dump(), e.what());
    }
    evaluate_trial(trial, space, data, eval);
    send(0, kResult,
         {{"id", trial.id}, {"result", trial.result.to_json()}, {"seconds", trial.seconds}});
  }
}

}  // namespace nas::search::mpi
