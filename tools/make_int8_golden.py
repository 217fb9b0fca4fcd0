#!/usr/bin/env python3
"""Writes the LiteRT int8 goldens that tests/golden_int8_test.cc checks the int8 oracle against,
the int8 LeNet-5 of tests/golden_int8_network_test.cc (lenet5.gold, see lenet_case), and the
four MLPerf Tiny models of tests/golden_int8_mlperf_tiny_test.cc (mlperf_*.gold, see
mlperf_int8), a fire module whose Concat is TFLite's CONCATENATION (fire.gold, see NETWORKS),
and GlobalAvgPool2d as TFLite's MEAN (mean_*.gold, see mean_case).

Each kernel case is a one-operator int8 .tflite model, written directly (the flatbuffer helpers of
tools/peers/tflite_writer.py, plus TFLite's quantization fields), run by the LiteRT
interpreter with its *reference* kernels (OpResolverType.BUILTIN_REF, no delegate). The
script also runs the optimized builtin kernels (BUILTIN_WITHOUT_DEFAULT_DELEGATES) and the
default resolver (XNNPACK delegate) and prints whether they give the same bits.

Needs a Python with the packages of tools/peers/requirements.txt (ai-edge-litert 2.3.0,
tflite 2.18.0, flatbuffers, numpy), e.g.
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install ai-edge-litert==2.3.0 tflite==2.18.0
    /tmp/venv/bin/python tools/make_int8_golden.py [output_dir]   # default tests/data/int8

Format: the golden format of tools/make_golden.py ("SNNGOLD1", float32 tensors; every value
here is an integer or a float32 scale, so float32 holds it exactly; |bias| < 2^24 is
checked). Layouts are staticnn's: activations [C][H][W], conv weights [out][in/groups][kh][kw]
(TFLite's OHWI and depthwise 1HWO are transposed back), Linear weights [out][in].
Tensors per case: x (and x2 for add), y (LiteRT's output), x.scale, x.zero_point,
y.scale, y.zero_point; w, w.scale[out], b for convolutions and Linear.
"""

import os
import struct
import sys

import flatbuffers
import numpy as np
import tflite
from ai_edge_litert import interpreter as litert

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers"))
from tflite_writer import _aligned_bytes, _int_vector, _offset_vector  # noqa: E402

OUT_DIR = (sys.argv[1] if len(sys.argv) > 1 else
           os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                        "int8"))

INT8, INT32 = tflite.TensorType.INT8, tflite.TensorType.INT32
ACT = {"none": tflite.ActivationFunctionType.NONE, "relu": tflite.ActivationFunctionType.RELU,
       "relu6": tflite.ActivationFunctionType.RELU6}
PAD = {"same": tflite.Padding.SAME, "valid": tflite.Padding.VALID}


# ------------------------------------------------------------------- .tflite writing

def _float_vector(b, values):
    b.StartVector(4, len(values), 4)
    for v in reversed(values):
        b.PrependFloat32(float(v))
    return b.EndVector()


def _int64_vector(b, values):
    b.StartVector(8, len(values), 8)
    for v in reversed(values):
        b.PrependInt64(int(v))
    return b.EndVector()


def one_op_model(tensors, op, inputs, outputs):
    """tensors: list of (shape, type, data or None, scales, zero_points, quantized_dim).
    op: (builtin, version, options_type, write_options)."""
    return model(tensors, [op + (inputs, outputs)],
                 [i for i in inputs if tensors[i][2] is None], outputs)


def model(tensors, ops, graph_inputs, graph_outputs):
    """tensors as one_op_model's; ops: list of (builtin, version, options_type,
    write_options, inputs, outputs), in execution order."""
    b = flatbuffers.Builder(1 << 20)
    buffers = []
    for data in [None] + [t[2] for t in tensors]:
        vec = _aligned_bytes(b, np.ascontiguousarray(data).tobytes()) if data is not None else None
        tflite.BufferStart(b)
        if vec is not None:
            tflite.BufferAddData(b, vec)
        buffers.append(tflite.BufferEnd(b))
    tensor_offsets = []
    for i, (shape, ttype, data, scales, zero_points, dim) in enumerate(tensors):
        scale_vec, zp_vec = _float_vector(b, scales), _int64_vector(b, zero_points)
        tflite.QuantizationParametersStart(b)
        tflite.QuantizationParametersAddScale(b, scale_vec)
        tflite.QuantizationParametersAddZeroPoint(b, zp_vec)
        tflite.QuantizationParametersAddQuantizedDimension(b, dim)
        quantization = tflite.QuantizationParametersEnd(b)
        name, shape_vec = b.CreateString("t%d" % i), _int_vector(b, shape)
        tflite.TensorStart(b)
        tflite.TensorAddShape(b, shape_vec)
        tflite.TensorAddType(b, ttype)
        tflite.TensorAddBuffer(b, i + 1 if data is not None else 0)
        tflite.TensorAddName(b, name)
        tflite.TensorAddQuantization(b, quantization)
        tensor_offsets.append(tflite.TensorEnd(b))
    codes = []  # (builtin, version), one OperatorCode each
    operators = []
    for builtin, version, options_type, write_options, inputs, outputs in ops:
        if (builtin, version) not in codes:
            codes.append((builtin, version))
        inputs_vec, outputs_vec = _int_vector(b, inputs), _int_vector(b, outputs)
        options = write_options(b)
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, codes.index((builtin, version)))
        tflite.OperatorAddInputs(b, inputs_vec)
        tflite.OperatorAddOutputs(b, outputs_vec)
        tflite.OperatorAddBuiltinOptionsType(b, options_type)
        tflite.OperatorAddBuiltinOptions(b, options)
        operators.append(tflite.OperatorEnd(b))
    tensors_vec, operators_vec = _offset_vector(b, tensor_offsets), _offset_vector(b, operators)
    graph_in = _int_vector(b, graph_inputs)
    graph_out = _int_vector(b, graph_outputs)
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, tensors_vec)
    tflite.SubGraphAddInputs(b, graph_in)
    tflite.SubGraphAddOutputs(b, graph_out)
    tflite.SubGraphAddOperators(b, operators_vec)
    subgraph = tflite.SubGraphEnd(b)
    opcodes = []
    for builtin, version in codes:
        tflite.OperatorCodeStart(b)
        tflite.OperatorCodeAddDeprecatedBuiltinCode(b, builtin)
        tflite.OperatorCodeAddBuiltinCode(b, builtin)
        tflite.OperatorCodeAddVersion(b, version)
        opcodes.append(tflite.OperatorCodeEnd(b))
    opcodes_vec, subgraphs_vec = _offset_vector(b, opcodes), _offset_vector(b, [subgraph])
    buffers_vec = _offset_vector(b, buffers)
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, 3)
    tflite.ModelAddOperatorCodes(b, opcodes_vec)
    tflite.ModelAddSubgraphs(b, subgraphs_vec)
    tflite.ModelAddBuffers(b, buffers_vec)
    b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output())


R = litert.OpResolverType
RESOLVERS = {"reference": R.BUILTIN_REF, "optimized": R.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
             "xnnpack": R.AUTO}


def run(model, inputs, resolver):
    interp = litert.Interpreter(model_content=model, experimental_op_resolver_type=resolver,
                                num_threads=1)
    interp.allocate_tensors()
    for detail, value in zip(interp.get_input_details(), inputs):
        interp.set_tensor(detail["index"], value)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"]).copy()


# ------------------------------------------------------------------------ the cases

def conv_op(depthwise, padding, stride, activation_fn, depth_multiplier=1):
    """(builtin, version, options type, write_options) of a CONV_2D or DEPTHWISE_CONV_2D."""
    def write(fb):
        if depthwise:
            tflite.DepthwiseConv2DOptionsStart(fb)
            tflite.DepthwiseConv2DOptionsAddPadding(fb, PAD[padding])
            tflite.DepthwiseConv2DOptionsAddStrideH(fb, stride)
            tflite.DepthwiseConv2DOptionsAddStrideW(fb, stride)
            tflite.DepthwiseConv2DOptionsAddDepthMultiplier(fb, depth_multiplier)
            tflite.DepthwiseConv2DOptionsAddDilationHFactor(fb, 1)
            tflite.DepthwiseConv2DOptionsAddDilationWFactor(fb, 1)
            tflite.DepthwiseConv2DOptionsAddFusedActivationFunction(fb, activation_fn)
            return tflite.DepthwiseConv2DOptionsEnd(fb)
        tflite.Conv2DOptionsStart(fb)
        tflite.Conv2DOptionsAddPadding(fb, PAD[padding])
        tflite.Conv2DOptionsAddStrideH(fb, stride)
        tflite.Conv2DOptionsAddStrideW(fb, stride)
        tflite.Conv2DOptionsAddDilationHFactor(fb, 1)
        tflite.Conv2DOptionsAddDilationWFactor(fb, 1)
        tflite.Conv2DOptionsAddFusedActivationFunction(fb, activation_fn)
        return tflite.Conv2DOptionsEnd(fb)
    if depthwise:
        return (tflite.BuiltinOperator.DEPTHWISE_CONV_2D, 3,
                tflite.BuiltinOptions.DepthwiseConv2DOptions, write)
    return tflite.BuiltinOperator.CONV_2D, 3, tflite.BuiltinOptions.Conv2DOptions, write


def activation_tensor(shape, scale, zero_point):
    return (shape, INT8, None, [scale], [zero_point], 0)


def weights(rng, out_c, per_out_shape, per_channel=True):
    """Symmetric int8 weights: float draws quantized with scale max|w| / 127 per channel."""
    w = rng.uniform(-1, 1, (out_c,) + per_out_shape) * rng.uniform(0.2, 1.0, (out_c,) + (1,) * len(per_out_shape))
    w = w.astype(np.float32)
    axes = tuple(range(1, w.ndim)) if per_channel else None
    scale = (np.abs(w).max(axis=axes, keepdims=True) / np.float32(127)).astype(np.float32)
    q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
    return q, np.broadcast_to(scale.reshape(-1), (out_c,)).astype(np.float32)


def conv_case(rng, name, c, h, w, out_c, k, stride, padding, activation, out_range,
              depthwise=False):
    x = rng.integers(-128, 128, (c, h, w), dtype=np.int8)
    x_zero_point = int(rng.integers(-20, 21))
    fan_in = k * k * (1 if depthwise else c)
    wq, w_scale = weights(rng, out_c, (1 if depthwise else c, k, k))
    # Input scale such that the real outputs have a standard deviation near 4.
    x_scale = np.float32(4.0 / (74.0 * 60.0 * np.sqrt(fan_in) * float(w_scale.mean())))
    bias_scale = (x_scale * w_scale).astype(np.float32)
    b = rng.integers(-3000, 3001, out_c).astype(np.int32)
    y_scale, y_zero_point = asymmetric(*out_range)
    if padding == "same":
        oh, ow = -(-h // stride), -(-w // stride)
    else:
        oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
    if depthwise:
        w_tflite, quantized_dim = wq.transpose(1, 2, 3, 0), 3
    else:
        w_tflite, quantized_dim = wq.transpose(0, 2, 3, 1), 0
    tensors = [activation_tensor((1, h, w, c), x_scale, x_zero_point),
               (w_tflite.shape, INT8, w_tflite, w_scale, [0] * out_c, quantized_dim),
               ((out_c,), INT32, b, bias_scale, [0] * out_c, 0),
               activation_tensor((1, oh, ow, out_c), y_scale, y_zero_point)]

    model = one_op_model(tensors, conv_op(depthwise, padding, stride, ACT[activation], out_c // c),
                         [0, 1, 2], [3])
    ys = {k_: run(model, [x.transpose(1, 2, 0)[None]], r) for k_, r in RESOLVERS.items()}
    return name, ys, [("x", x), ("x.scale", x_scale), ("x.zero_point", x_zero_point),
                      ("w", wq), ("w.scale", w_scale), ("b", b),
                      ("y.scale", y_scale), ("y.zero_point", y_zero_point),
                      ("y", ys["reference"][0].transpose(2, 0, 1))]


def linear_case(rng, name, n_in, n_out, activation, out_range, ties=False):
    """ties: the output scale 256 x_scale w_scale (a real multiplier of exactly 2^-8) and
    biases that put every accumulator at 128 mod 256, a tie, half of them negative: where
    rounding once (halves up) and TFLite's double rounding (halves away from zero) differ."""
    x = rng.integers(-128, 128, (n_in,), dtype=np.int8)
    x_zero_point = int(rng.integers(-20, 21))
    # TFLite's FullyConnected: one weight scale for the tensor.
    wq, w_scale = weights(rng, n_out, (n_in,), per_channel=False)
    x_scale = np.float32(4.0 / (74.0 * 60.0 * np.sqrt(n_in) * float(w_scale[0])))
    b = rng.integers(-3000, 3001, n_out).astype(np.int32)
    if ties:
        y_scale, y_zero_point = np.float32(256) * np.float32(x_scale * w_scale[0]), 0
        acc = wq.astype(np.int64) @ (x.astype(np.int64) - x_zero_point)
        b = (256 * rng.integers(-100, 100, n_out) + 128 - acc).astype(np.int32)
    else:
        y_scale, y_zero_point = asymmetric(*out_range)
    tensors = [activation_tensor((1, n_in), x_scale, x_zero_point),
               (wq.shape, INT8, wq, w_scale[:1], [0], 0),
               ((n_out,), INT32, b, [np.float32(x_scale * w_scale[0])], [0], 0),
               activation_tensor((1, n_out), y_scale, y_zero_point)]

    def write(fb):
        tflite.FullyConnectedOptionsStart(fb)
        tflite.FullyConnectedOptionsAddFusedActivationFunction(fb, ACT[activation])
        return tflite.FullyConnectedOptionsEnd(fb)
    model = one_op_model(tensors, (tflite.BuiltinOperator.FULLY_CONNECTED, 4,
                                   tflite.BuiltinOptions.FullyConnectedOptions, write),
                         [0, 1, 2], [3])
    ys = {k_: run(model, [x[None]], r) for k_, r in RESOLVERS.items()}
    return name, ys, [("x", x), ("x.scale", x_scale), ("x.zero_point", x_zero_point),
                      ("w", wq), ("w.scale", w_scale[:1]), ("b", b),
                      ("y.scale", y_scale), ("y.zero_point", y_zero_point),
                      ("y", ys["reference"][0])]


def pool_case(rng, name, kind, c, h, w, k, stride, padding, activation):
    x = rng.integers(-128, 128, (c, h, w), dtype=np.int8)
    # TFLite's int8 pooling keeps the input's quantization.
    scale, zero_point = np.float32(0.05), int(rng.integers(-20, 21))
    if padding == "same":
        oh, ow = -(-h // stride), -(-w // stride)
    else:
        oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
    tensors = [activation_tensor((1, h, w, c), scale, zero_point),
               activation_tensor((1, oh, ow, c), scale, zero_point)]

    def write(fb):
        tflite.Pool2DOptionsStart(fb)
        tflite.Pool2DOptionsAddPadding(fb, PAD[padding])
        tflite.Pool2DOptionsAddStrideH(fb, stride)
        tflite.Pool2DOptionsAddStrideW(fb, stride)
        tflite.Pool2DOptionsAddFilterHeight(fb, k)
        tflite.Pool2DOptionsAddFilterWidth(fb, k)
        tflite.Pool2DOptionsAddFusedActivationFunction(fb, ACT[activation])
        return tflite.Pool2DOptionsEnd(fb)
    builtin = (tflite.BuiltinOperator.MAX_POOL_2D if kind == "max"
               else tflite.BuiltinOperator.AVERAGE_POOL_2D)
    model = one_op_model(tensors, (builtin, 2, tflite.BuiltinOptions.Pool2DOptions, write),
                         [0], [1])
    ys = {k_: run(model, [x.transpose(1, 2, 0)[None]], r) for k_, r in RESOLVERS.items()}
    return name, ys, [("x", x), ("x.scale", scale), ("x.zero_point", zero_point),
                      ("y.scale", scale), ("y.zero_point", zero_point),
                      ("y", ys["reference"][0].transpose(2, 0, 1))]


def add_case(rng, name, c, h, w, activation, out_range):
    x = rng.integers(-128, 128, (c, h, w), dtype=np.int8)
    x2 = rng.integers(-128, 128, (c, h, w), dtype=np.int8)
    scales = (np.float32(0.03), np.float32(0.05))
    zero_points = (int(rng.integers(-20, 21)), int(rng.integers(-20, 21)))
    y_scale, y_zero_point = asymmetric(*out_range)
    tensors = [activation_tensor((1, h, w, c), scales[0], zero_points[0]),
               activation_tensor((1, h, w, c), scales[1], zero_points[1]),
               activation_tensor((1, h, w, c), y_scale, y_zero_point)]

    def write(fb):
        tflite.AddOptionsStart(fb)
        tflite.AddOptionsAddFusedActivationFunction(fb, ACT[activation])
        return tflite.AddOptionsEnd(fb)
    model = one_op_model(tensors, (tflite.BuiltinOperator.ADD, 2,
                                   tflite.BuiltinOptions.AddOptions, write), [0, 1], [2])
    nhwc = [x.transpose(1, 2, 0)[None], x2.transpose(1, 2, 0)[None]]
    ys = {k_: run(model, nhwc, r) for k_, r in RESOLVERS.items()}
    return name, ys, [("x", x), ("x.scale", scales[0]), ("x.zero_point", zero_points[0]),
                      ("x2", x2), ("x2.scale", scales[1]), ("x2.zero_point", zero_points[1]),
                      ("y.scale", y_scale), ("y.zero_point", y_zero_point),
                      ("y", ys["reference"][0].transpose(2, 0, 1))]


def mean_case(rng, name, c, h, w, in_range, out_range):
    """Network<Input<c, h, w>, GlobalAvgPool2d> as TFLite's MEAN over H and W (keep_dims, as
    Keras' GlobalAveragePooling2D converts), quantized from the two ranges as int8::quantize
    does; also counts the outputs where AVERAGE_POOL_2D's rounding (in the input's
    quantization) would differ."""
    x = rng.integers(-128, 128, (c, h, w), dtype=np.int8)
    (x_scale, x_zero_point), (y_scale, y_zero_point) = asymmetric(*in_range), asymmetric(*out_range)
    tensors = [activation_tensor((1, h, w, c), x_scale, x_zero_point),
               ((2,), INT32, np.array([1, 2], dtype=np.int32), [], [], 0),
               activation_tensor((1, 1, 1, c), y_scale, y_zero_point)]

    def write(fb):
        tflite.ReducerOptionsStart(fb)
        tflite.ReducerOptionsAddKeepDims(fb, True)
        return tflite.ReducerOptionsEnd(fb)
    model = one_op_model(tensors, (tflite.BuiltinOperator.MEAN, 2,
                                   tflite.BuiltinOptions.ReducerOptions, write), [0, 1], [2])
    ys = {k_: run(model, [x.transpose(1, 2, 0)[None]], r) for k_, r in RESOLVERS.items()}
    sums = x.reshape(c, -1).astype(np.int64).sum(axis=1)
    n = h * w
    average_pool = np.where(sums > 0, (sums + n // 2) // n, -((-sums + n // 2) // n))
    print("%s: AVERAGE_POOL_2D's rounding differs from MEAN on %d of %d outputs" % (
        name, int(np.sum(average_pool != ys["reference"].reshape(-1))), c))
    return name, ys, [("x", x), ("ranges", np.array([in_range, out_range], dtype=np.float32)),
                      ("x.scale", x_scale), ("x.zero_point", x_zero_point),
                      ("y.scale", y_scale), ("y.zero_point", y_zero_point),
                      ("y", ys["reference"].reshape(c))]


# ------------------------------------------------------------ LeNet-5, end to end
#
# The float LeNet-5 of tests/support/nets.hpp with random weights (PyTorch's default
# init), its activation ranges calibrated by a float forward over a few inputs, quantized
# exactly as staticnn's int8::quantize does (requantize.hpp: float32 scales, halves
# rounded away from zero), then written as one int8 .tflite model and run by LiteRT.

def round_away(v):
    v = np.asarray(v, dtype=np.float64)
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def asymmetric(lo, hi):
    """staticnn's AsymmetricQuantization."""
    lo, hi = min(np.float32(lo), np.float32(0)), max(np.float32(hi), np.float32(0))
    if hi == lo:
        return np.float32(1), 0
    scale = np.float32((hi - lo) / np.float32(255))
    zero_point = int(np.clip(round_away(-128.0 - float(np.float32(lo / scale))), -128, 127))
    return scale, zero_point


def quantize_weights(w, per_channel):
    """staticnn's SymmetricScale and QuantizeWeight: per output channel, or per tensor."""
    axes = tuple(range(1, w.ndim)) if per_channel else None
    max_abs = np.abs(w).max(axis=axes, keepdims=True).astype(np.float32)
    scale = np.where(max_abs > 0, max_abs / np.float32(127), np.float32(1)).astype(np.float32)
    q = np.clip(round_away((w / scale).astype(np.float32)), -127, 127).astype(np.int8)
    return q, np.broadcast_to(scale.reshape(-1), (w.shape[0],)).astype(np.float32)


def quantize_bias(b, in_scale, w_scale):
    return round_away(b.astype(np.float64) / (float(in_scale) * w_scale.astype(np.float64))
                      ).astype(np.int64)


def float_conv(x, w, b, pad):
    x = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    k = w.shape[2]
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(1, 2))  # C,OH,OW,k,k
    return (np.einsum("chwij,ocij->ohw", windows, w, dtype=np.float64) + b[:, None, None]
            ).astype(np.float32)


def float_max_pool(x):
    c, h, w = x.shape
    return x.reshape(c, h // 2, 2, w // 2, 2).max(axis=(2, 4))


# name (a state_dict key, or None), kind; the float layers of tests/support/nets.hpp's LeNet.
LENET = [("0", "conv"), (None, "relu"), (None, "pool"), ("3", "conv"), (None, "relu"),
         (None, "pool"), (None, "flatten"), ("7", "linear"), (None, "relu"),
         ("9", "linear"), (None, "relu"), ("11", "linear")]


def lenet_float_params(rng):
    shapes = {"0": (6, 1, 5, 5), "3": (16, 6, 5, 5), "7": (120, 400), "9": (84, 120),
              "11": (10, 84)}
    params = {}
    for key, shape in shapes.items():
        bound = 1 / np.sqrt(np.prod(shape[1:]))
        params[key + ".weight"] = rng.uniform(-bound, bound, shape).astype(np.float32)
        params[key + ".bias"] = rng.uniform(-bound, bound, shape[0]).astype(np.float32)
    return params


def lenet_layer_inputs(params, x):
    """The input of every float layer, then the output (float32, as staticnn computes)."""
    values = [x]
    for key, kind in LENET:
        if kind == "conv":
            pad = 2 if key == "0" else 0
            x = float_conv(x, params[key + ".weight"], params[key + ".bias"], pad)
        elif kind == "linear":
            x = (params[key + ".weight"].astype(np.float64) @ x + params[key + ".bias"]
                 ).astype(np.float32)
        elif kind == "relu":
            x = np.maximum(x, np.float32(0))
        elif kind == "pool":
            x = float_max_pool(x)
        else:
            x = x.reshape(-1)
        values.append(x)
    return values


def images(rng, n):
    """Smooth random images in [0, 1] (blurred noise), MNIST-sized."""
    noise = rng.uniform(0, 1, (n, 1, 32, 32)).astype(np.float32)
    blurred = sum(noise[:, :, i:i + 28, j:j + 28] for i in range(5) for j in range(5)) / 25
    lo = blurred.min(axis=(1, 2, 3), keepdims=True)
    hi = blurred.max(axis=(1, 2, 3), keepdims=True)
    return ((blurred - lo) / (hi - lo)).astype(np.float32)


def lenet_int8():
    """The int8 LeNet-5 as a .tflite model, its int8 input, and how they were made:
    (model, x, x_float, params, calibration, ranges, quantized, act). Also what
    tools/peers times int8 engines on."""
    rng = np.random.default_rng(5)
    params = lenet_float_params(rng)
    calibration = images(rng, 8)
    per_sample = [lenet_layer_inputs(params, x) for x in calibration]
    ranges = np.array([[min(s[i].min() for s in per_sample), max(s[i].max() for s in per_sample)]
                       for i in range(len(LENET) + 1)], dtype=np.float32)
    # The quantization of every float layer's input (and the output), as int8::quantize.
    act = [asymmetric(*ranges[0])]
    quantized = {}
    for i, (key, kind) in enumerate(LENET):
        if kind not in ("conv", "linear"):
            act.append(act[-1])
            continue
        fused = i + 1 < len(LENET) and LENET[i + 1][1] == "relu"
        act.append(asymmetric(*ranges[i + (2 if fused else 1)]))
        wq, w_scale = quantize_weights(params[key + ".weight"], per_channel=(kind == "conv"))
        bq = quantize_bias(params[key + ".bias"], act[i][0], w_scale)
        assert np.abs(bq).max() < 2 ** 24
        quantized[key] = (wq, w_scale, bq, fused)
    x_float = images(rng, 1)[0]
    s0, z0 = act[0]
    x = np.clip(round_away((x_float / s0).astype(np.float32)) + z0, -128, 127).astype(np.int8)

    tensors, ops = [], []

    def tensor(shape, ttype, data, scales, zero_points, dim=0):
        tensors.append((shape, ttype, data, list(scales), list(zero_points), dim))
        return len(tensors) - 1

    def activation(shape, i):
        return tensor(shape, INT8, None, [act[i][0]], [act[i][1]])

    current, (c, h, w) = activation((1, 28, 28, 1), 0), (1, 28, 28)
    chw_before_flatten = None
    for i, (key, kind) in enumerate(LENET):
        if kind == "conv":
            wq, w_scale, bq, fused = quantized[key]
            pad = "same" if key == "0" else "valid"
            c, h, w = wq.shape[0], (h if pad == "same" else h - 4), (w if pad == "same" else w - 4)
            inputs = [current,
                      tensor(wq.transpose(0, 2, 3, 1).shape, INT8, wq.transpose(0, 2, 3, 1),
                             w_scale, [0] * c),
                      tensor((c,), INT32, bq.astype(np.int32),
                             (act[i][0] * w_scale).astype(np.float32), [0] * c)]
            current = activation((1, h, w, c), i + 1)

            def write(fb, pad=pad, fused=fused):
                tflite.Conv2DOptionsStart(fb)
                tflite.Conv2DOptionsAddPadding(fb, PAD[pad])
                tflite.Conv2DOptionsAddStrideH(fb, 1)
                tflite.Conv2DOptionsAddStrideW(fb, 1)
                tflite.Conv2DOptionsAddDilationHFactor(fb, 1)
                tflite.Conv2DOptionsAddDilationWFactor(fb, 1)
                tflite.Conv2DOptionsAddFusedActivationFunction(fb, ACT["relu" if fused else "none"])
                return tflite.Conv2DOptionsEnd(fb)
            ops.append((tflite.BuiltinOperator.CONV_2D, 3, tflite.BuiltinOptions.Conv2DOptions,
                        write, inputs, [current]))
        elif kind == "pool":
            h, w = h // 2, w // 2
            x_in, current = current, activation((1, h, w, c), i + 1)

            def write(fb):
                tflite.Pool2DOptionsStart(fb)
                tflite.Pool2DOptionsAddPadding(fb, PAD["valid"])
                tflite.Pool2DOptionsAddStrideH(fb, 2)
                tflite.Pool2DOptionsAddStrideW(fb, 2)
                tflite.Pool2DOptionsAddFilterHeight(fb, 2)
                tflite.Pool2DOptionsAddFilterWidth(fb, 2)
                tflite.Pool2DOptionsAddFusedActivationFunction(fb, ACT["none"])
                return tflite.Pool2DOptionsEnd(fb)
            ops.append((tflite.BuiltinOperator.MAX_POOL_2D, 2, tflite.BuiltinOptions.Pool2DOptions,
                        write, [x_in], [current]))
        elif kind == "flatten":
            # FullyConnected flattens its NHWC input itself, in (h, w, c) order: the
            # next Linear's columns are permuted from staticnn's (c, h, w) to match.
            chw_before_flatten = (c, h, w)
        elif kind == "linear":
            wq, w_scale, bq, fused = quantized[key]
            if chw_before_flatten is not None:
                fc, fh, fw = chw_before_flatten
                wt = wq.reshape(-1, fc, fh, fw).transpose(0, 2, 3, 1).reshape(wq.shape[0], -1)
                chw_before_flatten = None
            else:
                wt = wq
            c = wq.shape[0]
            inputs = [current, tensor(wt.shape, INT8, np.ascontiguousarray(wt), w_scale[:1], [0]),
                      tensor((c,), INT32, bq.astype(np.int32),
                             [np.float32(act[i][0] * w_scale[0])], [0])]
            current = activation((1, c), i + 1)

            def write(fb, fused=fused):
                tflite.FullyConnectedOptionsStart(fb)
                tflite.FullyConnectedOptionsAddFusedActivationFunction(
                    fb, ACT["relu" if fused else "none"])
                return tflite.FullyConnectedOptionsEnd(fb)
            ops.append((tflite.BuiltinOperator.FULLY_CONNECTED, 4,
                        tflite.BuiltinOptions.FullyConnectedOptions, write, inputs, [current]))
    lenet = model(tensors, ops, [0], [current])
    return lenet, x, x_float, params, calibration, ranges, quantized, act


def lenet_case():
    lenet, x, x_float, params, calibration, ranges, quantized, act = lenet_int8()
    ys = {k_: run(lenet, [x.transpose(1, 2, 0)[None]], r) for k_, r in RESOLVERS.items()}
    stored = [("calibration", calibration), ("x.float", x_float), ("x", x), ("ranges", ranges)]
    stored += [(k, v) for k, v in params.items()]
    for key, (wq, w_scale, bq, _) in quantized.items():
        stored += [("q.%s.weight" % key, wq), ("q.%s.bias" % key, bq)]
    stored += [("q.activation.scale", np.array([a[0] for a in act], dtype=np.float32)),
               ("q.activation.zero_point", np.array([a[1] for a in act])),
               ("y", ys["reference"][0])]
    # How far the int8 network is from the float one, for the log.
    y_float = lenet_layer_inputs(params, x_float)[-1]
    y_real = act[-1][0] * (ys["reference"][0].astype(np.float32) - act[-1][1])
    print("lenet5: float logits %s, int8 dequantized %s" % (np.round(y_float, 3), np.round(y_real, 3)))
    return "lenet5", ys, stored


# ------------------------------------------------------- the MLPerf Tiny models, end to end
#
# The four models of include/staticnn/models/mlperf_tiny.hpp, BatchNorm folded and Sequential
# blocks spliced (int8::Network's list: tools/mlperf_tiny_torch.py builds the unfolded ones).
# Their folded float parameters are drawn by a 32-bit LCG that the C++ test repeats bit for
# bit (He-uniform weights, biases in [-0.1, 0.1), float32 arithmetic), so that only the
# calibrated ranges, the int8 input and LiteRT's output are committed (the MobileNet's
# parameters alone would take 865 KB). Calibration: min/max over a few LCG inputs in [-1, 1)
# of a float forward (numpy, float32 between layers). Quantized as int8::quantize does,
# written as one int8 .tflite model: a symmetric padding staticnn's convolutions use is an
# explicit PAD (TFLite's SAME pads after, not before, when a stride-2 window does not tile),
# a Residual is an ADD of its two paths with the following ReLU fused.

def conv(out_c, k, stride=1, pad=0, groups=1):
    k, pad = (k if isinstance(k, tuple) else (k, k)), (pad if isinstance(pad, tuple) else (pad, pad))
    return {"kind": "conv", "out": out_c, "k": k, "stride": stride, "pad": pad, "groups": groups}


def linear(out):
    return {"kind": "linear", "out": out}


def residual(main, shortcut=None):
    return {"kind": "residual", "main": main, "shortcut": shortcut}


def concat(*branches):
    return {"kind": "concat", "branches": list(branches)}


RELU, DROPOUT, FLATTEN = {"kind": "relu"}, {"kind": "dropout"}, {"kind": "flatten"}


def avg_pool(k):
    return {"kind": "avgpool", "k": k if isinstance(k, tuple) else (k, k)}


def dw_separable(c_in, c_out, stride):
    return [conv(c_in, 3, stride, 1, groups=c_in), RELU, conv(c_out, 1), RELU]


MLPERF_TINY = {
    "ds_cnn": ((1, 49, 10),
               [conv(64, (10, 4), 2, (5, 1)), RELU, DROPOUT]
               + sum((dw_separable(64, 64, 1) for _ in range(4)), [])
               + [DROPOUT, avg_pool((24, 5)), FLATTEN, linear(12)]),
    "mobilenet_v1": ((3, 96, 96),
                     [conv(8, 3, 2, 1), RELU]
                     + sum((dw_separable(*b) for b in [
                         (8, 16, 1), (16, 32, 2), (32, 32, 1), (32, 64, 2), (64, 64, 1),
                         (64, 128, 2)] + [(128, 128, 1)] * 5 + [(128, 256, 2), (256, 256, 1)]), [])
                     + [avg_pool(3), FLATTEN, linear(2)]),
    "resnet8": ((3, 32, 32),
                [conv(16, 3, 1, 1), RELU,
                 residual([conv(16, 3, 1, 1), RELU, conv(16, 3, 1, 1)]), RELU,
                 residual([conv(32, 3, 2, 1), RELU, conv(32, 3, 1, 1)], [conv(32, 1, 2)]), RELU,
                 residual([conv(64, 3, 2, 1), RELU, conv(64, 3, 1, 1)], [conv(64, 1, 2)]), RELU,
                 avg_pool(8), FLATTEN, linear(10)]),
    "autoencoder": ((640, 1, 1),
                    sum(([linear(n), RELU] for n in [128] * 4 + [8] + [128] * 4), [])
                    + [linear(640)]),
}


# Networks beyond MLPerf Tiny, through the same path (fire.gold): a SqueezeNet fire module,
# whose two expand branches meet in a CONCATENATION (tests/golden_int8_network_test.cc's Fire).
NETWORKS = dict(MLPERF_TINY, fire=(
    (3, 10, 10),
    [conv(8, 3, 1, 1), RELU, conv(4, 1), RELU,
     concat([conv(6, 1), RELU], [conv(10, 3, 1, 1), RELU]),
     avg_pool(2)]))


class Lcg:
    """The C++ test's generator: state = state * 1664525 + 1013904223 (mod 2^32), and
    uniform(bound) = ((state >> 8) / 2^24 * 2 - 1) * bound, all in float32."""

    def __init__(self, seed):
        self.state = seed

    def uniform(self, n, bound):
        top = np.empty(n, dtype=np.float32)
        s = self.state
        for i in range(n):
            s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
            top[i] = s >> 8
        self.state = s
        return (top * np.float32(2.0 ** -24) * np.float32(2) - np.float32(1)) * np.float32(bound)


def shape_after(layer, shape):
    c, h, w = shape
    kind = layer["kind"]
    if kind == "conv":
        (kh, kw), (ph, pw), s = layer["k"], layer["pad"], layer["stride"]
        return layer["out"], (h + 2 * ph - kh) // s + 1, (w + 2 * pw - kw) // s + 1
    if kind == "linear":
        return layer["out"], 1, 1
    if kind == "avgpool":
        (kh, kw) = layer["k"]
        return c, h // kh, w // kw
    if kind == "residual":
        for inner in layer["main"]:
            shape = shape_after(inner, shape)
    if kind == "concat":
        outs = []
        for branch in layer["branches"]:
            out = shape
            for inner in branch:
                out = shape_after(inner, out)
            outs.append(out)
        return sum(o[0] for o in outs), outs[0][1], outs[0][2]
    return shape  # relu, dropout, flatten ([C][H][W] stays)


def draw_parameters(layers, shape, lcg):
    """Each weighted layer's folded float weight and bias, in state_dict order (a Residual:
    its main path, then its shortcut); sets layer["w"], layer["b"] on copies."""
    drawn = []
    for layer in layers:
        layer = dict(layer)
        if layer["kind"] == "conv":
            kh, kw = layer["k"]
            w_shape = (layer["out"], shape[0] // layer["groups"], kh, kw)
        elif layer["kind"] == "linear":
            w_shape = (layer["out"], shape[0] * shape[1] * shape[2])
        if layer["kind"] in ("conv", "linear"):
            count, fan_in = int(np.prod(w_shape)), int(np.prod(w_shape[1:]))
            bound = np.sqrt(np.float32(6) / np.float32(fan_in))
            layer["w"] = lcg.uniform(count, bound).reshape(w_shape)
            layer["b"] = lcg.uniform(w_shape[0], np.float32(0.1))
        if layer["kind"] == "residual":
            layer["main"] = draw_parameters(layer["main"], shape, lcg)
            if layer["shortcut"]:
                layer["shortcut"] = draw_parameters(layer["shortcut"], shape, lcg)
        if layer["kind"] == "concat":
            layer["branches"] = [draw_parameters(b, shape, lcg) for b in layer["branches"]]
        drawn.append(layer)
        shape = shape_after(layer, shape)
    return drawn


def float_forward(layers, x):
    """int8::Network's tensors of one sample: each layer's input and the output, then those
    of each Residual's paths (each path's input first)."""
    outer, nested = [x], []
    for layer in layers:
        kind = layer["kind"]
        if kind == "conv":
            (kh, kw), (ph, pw), s, g = layer["k"], layer["pad"], layer["stride"], layer["groups"]
            padded = np.pad(x, ((0, 0), (ph, ph), (pw, pw)))
            win = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(1, 2))
            win = win[:, ::s, ::s].astype(np.float64)
            if g == 1:
                y = np.einsum("chwij,ocij->ohw", win, layer["w"])
            else:  # depthwise
                y = np.einsum("chwij,cij->chw", win, layer["w"][:, 0])
            x = (y + layer["b"][:, None, None]).astype(np.float32)
        elif kind == "linear":
            y = layer["w"].astype(np.float64) @ x.reshape(-1) + layer["b"]
            x = y.astype(np.float32).reshape(-1, 1, 1)
        elif kind == "relu":
            x = np.maximum(x, np.float32(0))
        elif kind == "avgpool":
            (kh, kw) = layer["k"]
            c, h, w = x.shape
            oh, ow = h // kh, w // kw
            x = x[:, :oh * kh, :ow * kw].reshape(c, oh, kh, ow, kw).astype(np.float64).mean(
                axis=(2, 4)).astype(np.float32)
        elif kind == "residual":
            main = float_forward(layer["main"], x)
            shortcut = float_forward(layer["shortcut"], x) if layer["shortcut"] else None
            nested += main + (shortcut or [])
            main_out = main[len(layer["main"])]
            shortcut_out = shortcut[len(layer["shortcut"])] if shortcut else x
            x = main_out + shortcut_out
        elif kind == "concat":
            branches = [float_forward(b, x) for b in layer["branches"]]
            for b in branches:
                nested += b
            x = np.concatenate([t[len(b)] for t, b in zip(branches, layer["branches"])])
        outer.append(x)
    return outer + nested


def paths(layer):
    """A Residual's or Concat's int8 networks, in int8::Network's order."""
    if layer["kind"] == "residual":
        return [layer["main"]] + ([layer["shortcut"]] if layer["shortcut"] else [])
    return layer.get("branches", [])


def tensor_count(layers):
    return len(layers) + 1 + sum(tensor_count(p) for l in layers for p in paths(l))


def requantizes(layer):
    return layer["kind"] in ("conv", "linear", "residual")


def fused_relu(layers, i):
    return requantizes(layers[i]) and i + 1 < len(layers) and layers[i + 1]["kind"] == "relu"


def quantize_network(layers, ranges, act_in):
    """int8::quantize: act (every tensor's (scale, zero_point), in tensor order) and, on each
    weighted layer, layer["q"] = (int8 weights, weight scales, int32 biases)."""
    act = [None] * tensor_count(layers)
    act[0] = act_in
    offset = len(layers) + 1
    for i, layer in enumerate(layers):
        if layer["kind"] == "concat":
            # Every branch's output in the Concat's quantization (TFLite's int8
            # CONCATENATION requires it): its last layer requantizes to the Concat's range.
            act[i + 1] = asymmetric(*ranges[i + 1])
            for branch in layer["branches"]:
                n = tensor_count(branch)
                branch_ranges = list(ranges[offset:offset + n])
                branch_ranges[len(branch)] = ranges[i + 1]
                act[offset:offset + n] = quantize_network(branch, branch_ranges, act[i])
                assert act[offset + len(branch)] == act[i + 1]
                offset += n
            continue
        if not requantizes(layer):
            act[i + 1] = act[i]
            continue
        act[i + 1] = asymmetric(*ranges[i + (2 if fused_relu(layers, i) else 1)])
        if layer["kind"] == "residual":
            for path in ("main", "shortcut"):
                if layer[path]:
                    n = tensor_count(layer[path])
                    act[offset:offset + n] = quantize_network(layer[path], ranges[offset:offset + n],
                                                              act[i])
                    offset += n
            continue
        wq, w_scale = quantize_weights(layer["w"], per_channel=(layer["kind"] == "conv"))
        bq = quantize_bias(layer["b"], act[i][0], w_scale)
        assert np.abs(bq).max() < 2 ** 24
        layer["q"] = (wq, w_scale, bq)
    return act


def weighted_layers(layers):
    """The weighted layers in int8::Parameters' order (a Residual's main path, then its
    shortcut)."""
    for layer in layers:
        if layer["kind"] in ("conv", "linear"):
            yield layer
        for path in paths(layer):
            yield from weighted_layers(path)


def fnv1a(data):
    h = 2166136261
    for byte in np.asarray(data, dtype=np.int8).reshape(-1).view(np.uint8).tobytes():
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


def emit_network(layers, shape, act, current, tensor, ops):
    """Appends layers' TFLite ops after tensor `current` ([1, H, W, C], or [1, N] when flat);
    act: the network's tensor quantizations. Returns the output tensor and shape."""
    offset = len(layers) + 1
    flattened_from = None
    for i, layer in enumerate(layers):
        kind, (c, h, w) = layer["kind"], shape
        out_shape = shape_after(layer, shape)
        act_fn = ACT["relu" if fused_relu(layers, i) else "none"]

        def activation(dims, a=act[i + 1]):
            return tensor(dims, INT8, None, [a[0]], [a[1]])
        if kind == "conv":
            (kh, kw), (ph, pw), s = layer["k"], layer["pad"], layer["stride"]
            if ph or pw:
                paddings = np.array([[0, 0], [ph, ph], [pw, pw], [0, 0]], dtype=np.int32)
                padded = tensor((1, h + 2 * ph, w + 2 * pw, c), INT8, None, [act[i][0]], [act[i][1]])
                ops.append((tflite.BuiltinOperator.PAD, 2, tflite.BuiltinOptions.PadOptions,
                            lambda fb: (tflite.PadOptionsStart(fb), tflite.PadOptionsEnd(fb))[1],
                            [current, tensor((4, 2), INT32, paddings, [], [])], [padded]))
                current = padded
            wq, w_scale, bq = layer["q"]
            oc = out_shape[0]
            depthwise = layer["groups"] > 1
            w_tflite = wq.transpose(1, 2, 3, 0) if depthwise else wq.transpose(0, 2, 3, 1)
            inputs = [current,
                      tensor(w_tflite.shape, INT8, np.ascontiguousarray(w_tflite), w_scale,
                             [0] * oc, 3 if depthwise else 0),
                      tensor((oc,), INT32, bq.astype(np.int32),
                             (act[i][0] * w_scale).astype(np.float32), [0] * oc)]
            current = activation((1, out_shape[1], out_shape[2], oc))
            ops.append(conv_op(depthwise, "valid", s, act_fn) + (inputs, [current]))
        elif kind == "linear":
            wq, w_scale, bq = layer["q"]
            if flattened_from is not None:  # FullyConnected reads NHWC: permute the columns
                fc, fh, fw = flattened_from
                wq = wq.reshape(-1, fc, fh, fw).transpose(0, 2, 3, 1).reshape(wq.shape[0], -1)
            inputs = [current, tensor(wq.shape, INT8, np.ascontiguousarray(wq), w_scale[:1], [0]),
                      tensor((wq.shape[0],), INT32, bq.astype(np.int32),
                             [np.float32(act[i][0] * w_scale[0])], [0])]
            current = activation((1, wq.shape[0]))

            def write(fb, act_fn=act_fn):
                tflite.FullyConnectedOptionsStart(fb)
                tflite.FullyConnectedOptionsAddFusedActivationFunction(fb, act_fn)
                return tflite.FullyConnectedOptionsEnd(fb)
            ops.append((tflite.BuiltinOperator.FULLY_CONNECTED, 4,
                        tflite.BuiltinOptions.FullyConnectedOptions, write, inputs, [current]))
        elif kind == "avgpool":
            (kh, kw) = layer["k"]
            x_in, current = current, activation((1, out_shape[1], out_shape[2], c))

            def write(fb, kh=kh, kw=kw):
                tflite.Pool2DOptionsStart(fb)
                tflite.Pool2DOptionsAddPadding(fb, PAD["valid"])
                tflite.Pool2DOptionsAddStrideH(fb, kh)
                tflite.Pool2DOptionsAddStrideW(fb, kw)
                tflite.Pool2DOptionsAddFilterHeight(fb, kh)
                tflite.Pool2DOptionsAddFilterWidth(fb, kw)
                tflite.Pool2DOptionsAddFusedActivationFunction(fb, ACT["none"])
                return tflite.Pool2DOptionsEnd(fb)
            ops.append((tflite.BuiltinOperator.AVERAGE_POOL_2D, 2,
                        tflite.BuiltinOptions.Pool2DOptions, write, [x_in], [current]))
        elif kind == "flatten":
            flattened_from = shape
        elif kind == "residual":
            outputs = []
            for path in ("main", "shortcut"):
                if layer[path]:
                    n = tensor_count(layer[path])
                    y, _ = emit_network(layer[path], shape, act[offset:offset + n], current,
                                        tensor, ops)
                    outputs.append(y)
                    offset += n
                else:
                    outputs.append(current)
            # The sum has the paths' shape (a strided block's, not its input's): LiteRT
            # resized a wrong one at prepare, TFLM's PAD after it refused it.
            current = activation((1, out_shape[1], out_shape[2], out_shape[0]))

            def write(fb, act_fn=act_fn):
                tflite.AddOptionsStart(fb)
                tflite.AddOptionsAddFusedActivationFunction(fb, act_fn)
                return tflite.AddOptionsEnd(fb)
            ops.append((tflite.BuiltinOperator.ADD, 2, tflite.BuiltinOptions.AddOptions, write,
                        outputs, [current]))
        elif kind == "concat":
            outputs = []
            for branch in layer["branches"]:
                n = tensor_count(branch)
                y, _ = emit_network(branch, shape, act[offset:offset + n], current, tensor, ops)
                outputs.append(y)
                offset += n
            current = activation((1, out_shape[1], out_shape[2], out_shape[0]))

            def write(fb):
                tflite.ConcatenationOptionsStart(fb)
                tflite.ConcatenationOptionsAddAxis(fb, 3)
                tflite.ConcatenationOptionsAddFusedActivationFunction(fb, ACT["none"])
                return tflite.ConcatenationOptionsEnd(fb)
            ops.append((tflite.BuiltinOperator.CONCATENATION, 3,
                        tflite.BuiltinOptions.ConcatenationOptions, write, outputs, [current]))
        shape = out_shape
    return current, shape


def mlperf_int8(name, calibration_samples=4):
    """One MLPerf Tiny model in int8: (the .tflite model, its int8 input [C][H][W], and what
    the golden stores)."""
    in_shape, spec = NETWORKS[name]
    layers = draw_parameters(spec, in_shape, Lcg(2024))
    samples = Lcg(7).uniform((calibration_samples + 1) * int(np.prod(in_shape)), 1).reshape(
        (calibration_samples + 1,) + in_shape)
    per_sample = [float_forward(layers, s) for s in samples[:calibration_samples]]
    ranges = np.array([[min(s[t].min() for s in per_sample), max(s[t].max() for s in per_sample)]
                       for t in range(tensor_count(layers))], dtype=np.float32)
    act = quantize_network(layers, ranges, asymmetric(*ranges[0]))
    s0, z0 = act[0]
    x_float = samples[calibration_samples]
    x = np.clip(round_away((x_float / s0).astype(np.float32)) + z0, -128, 127).astype(np.int8)

    tensors, ops = [], []

    def tensor(shape, ttype, data, scales, zero_points, dim=0):
        tensors.append((shape, ttype, data, list(scales), list(zero_points), dim))
        return len(tensors) - 1
    flat = in_shape[1:] == (1, 1)
    x_tensor = tensor((1, in_shape[0]) if flat else (1, in_shape[1], in_shape[2], in_shape[0]),
                      INT8, None, [s0], [z0])
    out, _ = emit_network(layers, in_shape, act, x_tensor, tensor, ops)
    tflite_model = model(tensors, ops, [x_tensor], [out])
    quantized = list(weighted_layers(layers))
    hashes = np.array([[fnv1a(l["q"][0]) >> 16, fnv1a(l["q"][0]) & 0xFFFF] for l in quantized])
    stored = [("ranges", ranges), ("x", x),
              ("q.biases", np.concatenate([l["q"][2] for l in quantized])),
              ("q.weights.fnv1a", hashes),
              ("q.activation.scale", np.array([a[0] for a in act], dtype=np.float32)),
              ("q.activation.zero_point", np.array([a[1] for a in act]))]
    return tflite_model, x, stored, (layers, act, x_float)


def mlperf_case(name):
    tflite_model, x, stored, (layers, act, x_float) = mlperf_int8(name)
    nhwc = x.reshape(1, -1) if x.shape[1:] == (1, 1) else x.transpose(1, 2, 0)[None]
    ys = {k_: run(tflite_model, [nhwc], r) for k_, r in RESOLVERS.items()}
    y = ys["reference"][0]
    y = y.transpose(2, 0, 1) if y.ndim == 3 else y  # NHWC -> [C][H][W]
    y_float = float_forward(layers, x_float)[len(layers)].reshape(-1)
    y_real = act[len(layers)][0] * (y.reshape(-1).astype(np.float32) - act[len(layers)][1])
    print("%s: %d tensors, float outputs %s..., int8 dequantized %s..." % (
        name, len(act), np.round(y_float[:4], 3), np.round(y_real[:4], 3)))
    return ("mlperf_" if name in MLPERF_TINY else "") + name, ys, stored + [("y", y)]


def cases():
    rng = np.random.default_rng(11)
    yield conv_case(rng, "conv3x3_same_relu6", 3, 9, 7, 5, 3, 1, "same", "relu6", (-2, 8))
    yield conv_case(rng, "conv3x3_stride2_same", 4, 8, 8, 6, 3, 2, "same", "none", (-10, 10))
    yield conv_case(rng, "conv1x1_relu", 7, 5, 5, 9, 1, 1, "valid", "relu", (-3, 10))
    yield conv_case(rng, "depthwise3x3_same_x2", 3, 7, 6, 6, 3, 1, "same", "relu", (-3, 10),
                    depthwise=True)
    yield conv_case(rng, "depthwise3x3_stride2_valid", 5, 9, 9, 5, 3, 2, "valid", "none",
                    (-10, 10), depthwise=True)
    yield linear_case(rng, "linear_37x10", 37, 10, "none", (-10, 10))
    yield pool_case(rng, "max_pool2x2", "max", 3, 8, 6, 2, 2, "valid", "none")
    yield pool_case(rng, "avg_pool3x3_same", "avg", 4, 7, 5, 3, 1, "same", "none")
    yield pool_case(rng, "avg_pool2x2_relu", "avg", 3, 6, 6, 2, 2, "valid", "relu")
    yield add_case(rng, "add_relu", 3, 5, 4, "relu", (-3, 8))
    yield linear_case(rng, "linear_ties", 5, 64, "none", None, ties=True)
    yield lenet_case()
    for name in NETWORKS:
        yield mlperf_case(name)
    rng = np.random.default_rng(12)
    yield mean_case(rng, "mean_requantized_16x5x5", 16, 5, 5, (-3.0, 5.0), (-1.0, 1.5))
    yield mean_case(rng, "mean_same_range_24x7x6", 24, 7, 6, (-2.0, 6.0), (-2.0, 6.0))


def write_gold(name, tensors):
    path = os.path.join(OUT_DIR, name + ".gold")
    with open(path, "wb") as f:
        f.write(b"SNNGOLD1")
        f.write(struct.pack("<I", len(tensors)))
        for tname, value in tensors:
            a = np.asarray(value)
            as_float = a.astype(np.float32)
            assert np.array_equal(as_float.astype(np.float64), a.astype(np.float64)), tname
            encoded = tname.encode()
            f.write(struct.pack("<I", len(encoded)) + encoded)
            f.write(struct.pack("<I", a.ndim) + struct.pack("<%di" % a.ndim, *a.shape))
            f.write(as_float.astype("<f4").tobytes())
    print("wrote %-45s %6d bytes" % (os.path.relpath(path), os.path.getsize(path)))


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for name, ys, tensors in cases():
        y = ys["reference"]
        same = {k: bool(np.array_equal(v, y)) for k, v in ys.items() if k != "reference"}
        saturated = float(np.mean((y == -128) | (y == 127)))
        print("%-28s distinct values %3d, saturated %.2f, reference == %s" %
              (name, len(np.unique(y)), saturated, same))
        write_gold(name, tensors)


if __name__ == "__main__":
    main()
