// Results written whole or not at all: the bytes go to a new file next to the destination,
// renamed over it once complete, so a failed or killed write never leaves a truncated
// model, checkpoint, array or report behind (the previous file, if any, stays).
#pragma once

#include <string>
#include <string_view>

namespace nas {

// UserError naming `path` where it cannot be written (the partial file is removed).
void write_file_atomically(const std::string& path, std::string_view bytes);

// Checked before the work that produces a result: the folder `path` goes in exists and is
// a folder, and `path` is not a folder; a UserError naming `path` otherwise.
void check_destination(const std::string& path);

}  // namespace nas
