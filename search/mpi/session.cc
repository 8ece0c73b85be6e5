#include <mpi.h>

#include "compiler/support/error.h"
#include "search/mpi/mpi_search.h"

namespace nas::search::mpi {

Session::Session() {
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  NAS_CHECK(provided >= MPI_THREAD_FUNNELED,
            "the MPI library gives thread level {}, and nas needs MPI_THREAD_FUNNELED", provided);
}

Session::~Session() { MPI_Finalize(); }

void Session::abort(int code) const {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::abort();  // MPI_Abort does not return; this keeps [[noreturn]] honest
}

}  // namespace nas::search::mpi
