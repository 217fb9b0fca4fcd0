// The compile-time half of staticnn: shapes, layers, networks, diagnostics,
// storage. No Highway; safe to include anywhere, also in foreach_target TUs.
#pragma once

#include "staticnn/diagnostics.hpp"
#include "staticnn/geometry.hpp"
#include "staticnn/layers/activations.hpp"
#include "staticnn/layers/batch_norm.hpp"
#include "staticnn/layers/blocks.hpp"
#include "staticnn/layers/conv2d.hpp"
#include "staticnn/layers/dropout.hpp"
#include "staticnn/layers/linear.hpp"
#include "staticnn/layers/pool2d.hpp"
#include "staticnn/network.hpp"
#include "staticnn/optimizers.hpp"
#include "staticnn/shape.hpp"
#include "staticnn/status.hpp"
#include "staticnn/storage.hpp"
