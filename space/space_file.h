// Search spaces from YAML files (format: configs/spaces/README.md): the choices become the
// space's decisions, in file order, and the `network:` section the template that decodes
// architectures into graphs.
//
// Every problem in a file is a UserError naming the file, line and column, the key and what
// was expected. A choice option that a template key cannot take (an even kernel size, an
// unknown activation) is reported at load, at the option; load then also decodes the
// architecture of every choice's first option and the one of every last option, so a
// space whose networks fail to build is refused at load rather than during a search.
#pragma once

#include <string>

#include "space/search_space.h"

namespace nas::space {

SearchSpace load_space(const std::string& path);

}  // namespace nas::space
