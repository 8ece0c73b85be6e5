// TEMPORARY (branch searchrun only; drop at merge): the declaration of space/space_file.h,
// which another branch adds. cmd_search.cc includes space/space_file.h after the merge.
#pragma once

#include <string>

#include "space/search_space.h"

namespace nas::space {
SearchSpace load_space(const std::string& path);
}  // namespace nas::space
