// staticnn: a convolutional network is a type. Include this one header.
#pragma once

#include "staticnn/diagnostics.hpp"
#include "staticnn/geometry.hpp"
#include "staticnn/layers/activations.hpp"
#include "staticnn/layers/conv2d.hpp"
#include "staticnn/layers/linear.hpp"
#include "staticnn/layers/pool2d.hpp"
#include "staticnn/network.hpp"
#include "staticnn/shape.hpp"
