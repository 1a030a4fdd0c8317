// Compiled against the store layer only: the meta layer's headers are not on its include path,
// so this include must not compile (see CMakeLists.txt).
#include "pons/meta/graph_client.hpp"
