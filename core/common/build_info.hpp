// What labour was built from, for the results document's `tool` block.
#pragma once

#include <string>

namespace labour {

// The git commit of the source tree at build time ("<sha>" or "<sha>-dirty"); empty when
// it was not built from a git checkout. Generated at every build (common/BuildCommit.cmake).
std::string build_commit();

}  // namespace labour
