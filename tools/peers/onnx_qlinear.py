"""Writes the int8 LeNet-5 of tools/make_int8_golden.py as an ONNX model of QLinearConv
nodes, for ONNX Runtime's int8 kernels (the `onnx` package's helpers, no converter).

The quantization is the .tflite model's, tensor for tensor: int8 activations with
their scale and zero point, int8 weights per output channel with zero point 0, int32
biases at scale input_scale * weight_scale. A ReLU fused in TFLite is the clamp at
the output's zero point (-128: every post-ReLU range starts at 0), which QLinearConv's
saturation to int8 already applies. Linear layers are 1x1 QLinearConv on a
[1, features, 1, 1] tensor, flattened in PyTorch's (c, h, w) order, so that their
weights need no permutation. Input [1, 1, 28, 28] int8, output [1, 10, 1, 1] int8.
"""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def lenet_qlinear(layers, quantized, act):
    """layers: make_int8_golden.LENET; quantized, act: what make_int8_golden.lenet_int8
    returns. Returns the serialized ONNX model."""
    nodes, initializers = [], []

    def constant(name, array):
        initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def scale_and_zero_point(i):
        scale, zero_point = act[i]
        return (constant(f"a{i}.scale", np.float32(scale)),
                constant(f"a{i}.zero_point", np.int8(zero_point)))

    current = "x"
    for i, (key, kind) in enumerate(layers):
        out = f"a{i + 1}"
        if kind in ("conv", "linear"):
            wq, w_scale, bq, _ = quantized[key]
            pad = 2 if key == "0" else 0
            weight = wq if kind == "conv" else wq.reshape(wq.shape + (1, 1))
            inputs = [current, *scale_and_zero_point(i), constant(f"{key}.w", weight),
                      constant(f"{key}.w.scale", w_scale.astype(np.float32)),
                      constant(f"{key}.w.zero_point", np.zeros(len(w_scale), np.int8)),
                      *scale_and_zero_point(i + 1), constant(f"{key}.b", bq.astype(np.int32))]
            nodes.append(helper.make_node("QLinearConv", inputs, [out], pads=[pad] * 4))
        elif kind == "pool":
            nodes.append(helper.make_node("MaxPool", [current], [out], kernel_shape=[2, 2],
                                          strides=[2, 2]))
        elif kind == "flatten":
            nodes.append(helper.make_node(
                "Reshape", [current, constant("flat.shape", np.array([1, -1, 1, 1], np.int64))],
                [out]))
        else:  # relu: fused (the clamp at the zero point above)
            out = current
        current = out
    graph = helper.make_graph(
        nodes, "lenet5_int8", [helper.make_tensor_value_info("x", TensorProto.INT8,
                                                             [1, 1, 28, 28])],
        [helper.make_tensor_value_info(current, TensorProto.INT8, [1, 10, 1, 1])], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    return model.SerializeToString()
