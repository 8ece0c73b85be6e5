#include "search/mpi/channel.h"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "compiler/support/error.h"

namespace nas::search::mpi {

void send(int destination, Tag tag, const nlohmann::json& body) {
  const std::string text = body.is_null() ? std::string() : body.dump();
  MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, destination, tag,
           MPI_COMM_WORLD);
}

Message receive(int source) {
  // Poll quickly at first (a reply is often on its way), then back off to 1 ms: the cost of
  // a message stays far below an evaluation, and a waiting rank uses no core.
  auto pause = std::chrono::microseconds(10);
  MPI_Status status;
  for (;;) {
    int ready = 0;
    MPI_Iprobe(source, MPI_ANY_TAG, MPI_COMM_WORLD, &ready, &status);
    if (ready) break;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(1000));
  }
  int count = 0;
  MPI_Get_count(&status, MPI_CHAR, &count);
  std::string text(static_cast<size_t>(count), '\0');
  MPI_Recv(text.data(), count, MPI_CHAR, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD,
           MPI_STATUS_IGNORE);
  Message m;
  m.source = status.MPI_SOURCE;
  m.tag = status.MPI_TAG;
  if (!text.empty()) {
    try {
      m.body = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      NAS_CHECK(false, "rank {} sent a message (tag {}) that is not JSON: {}", m.source, m.tag,
                e.what());
    }
  }
  return m;
}

}  // namespace nas::search::mpi
