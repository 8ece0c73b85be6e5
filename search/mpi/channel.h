// The messages of an MPI search (see mpi_search.h): tags, and JSON text sent and received
// on MPI_COMM_WORLD. Receiving polls, so a waiting rank leaves its core to the evaluations.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace nas::search::mpi {

enum Tag : int { kHello = 1, kWork = 2, kResult = 3, kStop = 4 };

struct Message {
  int source = 0;
  int tag = 0;
  nlohmann::json body;  // null for an empty message
};

void send(int destination, Tag tag, const nlohmann::json& body);
// The next message from `source` (MPI_ANY_SOURCE: from any rank), of any tag.
Message receive(int source);

}  // namespace nas::search::mpi
