// staticnn: a convolutional network is a type.
//
// This header brings the compile-time library: shapes, layers, Network and its
// constants and diagnostics, parameter and workspace storage. To run a network
// include "staticnn/passes.hpp" (static dispatch) or "staticnn/passes-inl.h"
// (per-target, for dynamic dispatch); weights and datasets are in io/.
#pragma once

#include "staticnn/core.hpp"
