"""Writes a .tflite flatbuffer for a models.layer_plan, with the `tflite` schema package.

No converter is involved: the ops used here (CONV_2D, DEPTHWISE_CONV_2D and
FULLY_CONNECTED with fused ReLU, ADD with fused ReLU for residual blocks, PAD,
MAX_POOL_2D, AVERAGE_POOL_2D, RESHAPE) map one to one onto TFLite builtins, so the
model is written directly, in TFLite's NHWC layout:
  - conv weights [out][in][kh][kw] (PyTorch) become [out][kh][kw][in] (TFLite OHWI),
    depthwise ones [1][kh][kw][channels];
  - PyTorch's symmetric padding becomes SAME (stride 1, odd kernel) or VALID (zero);
    any other (e.g. stride 2: SAME would pad after, PyTorch pads before) becomes an
    explicit PAD op then VALID, which computes exactly PyTorch's function;
  - Flatten of NHWC data yields (h, w, c) order, so the columns of the Linear that
    follows are permuted to match: the function computed is exactly PyTorch's.
The input is NHWC (or [N, features]), the output [N, features] (or NHWC for
conv-only cases).
"""

import flatbuffers
import numpy as np
import tflite

_FLOAT32 = tflite.TensorType.FLOAT32
_INT32 = tflite.TensorType.INT32


class _Graph:
    """Collects tensors, buffers and operators before serialisation."""

    def __init__(self):
        self.buffers = [b""]  # buffer 0: the empty sentinel used by activations
        self.tensors = []     # (name, shape, type, buffer index)
        self.operators = []   # (builtin op, inputs, outputs, options builder)
        self.opcodes = []

    def constant(self, name, array, tensor_type=_FLOAT32):
        self.buffers.append(np.ascontiguousarray(array).tobytes())
        return self._tensor(name, array.shape, tensor_type, len(self.buffers) - 1)

    def activation(self, name, shape):
        return self._tensor(name, shape, _FLOAT32, 0)

    def _tensor(self, name, shape, tensor_type, buffer):
        self.tensors.append((name, tuple(int(d) for d in shape), tensor_type, buffer))
        return len(self.tensors) - 1

    def op(self, builtin, inputs, outputs, options_type, write_options):
        if builtin not in self.opcodes:
            self.opcodes.append(builtin)
        self.operators.append((self.opcodes.index(builtin), inputs, outputs,
                               options_type, write_options))


def _padding(kernel, padding, stride):
    """TFLite's padding for PyTorch's, or None if it needs an explicit PAD."""
    if all(p == 0 for p in padding):
        return tflite.Padding.VALID
    if all(s == 1 and k % 2 == 1 and p == k // 2
           for k, p, s in zip(kernel, padding, stride)):
        return tflite.Padding.SAME
    return None


def _out_size(size, kernel, stride, padding_kind):
    if padding_kind == tflite.Padding.SAME:
        return -(-size // stride)
    return (size - kernel) // stride + 1


def _activation(relu):
    return tflite.ActivationFunctionType.RELU if relu else tflite.ActivationFunctionType.NONE


class _Tensor:
    """An activation being built: its tensor index, NHWC shape, and the (c, h, w) of a
    Flatten whose columns the next Linear must permute."""

    def __init__(self, index, n, h, w, c, chw_before_flatten=None):
        self.index, self.n, self.h, self.w, self.c = index, n, h, w, c
        self.chw_before_flatten = chw_before_flatten

    def shape(self):
        return (self.n, self.h, self.w, self.c) if self.h else (self.n, self.c)


def _pad(g, t, name, padding):
    ph, pw = padding
    paddings = np.array([[0, 0], [ph, ph], [pw, pw], [0, 0]], dtype=np.int32)
    out = _Tensor(None, t.n, t.h + 2 * ph, t.w + 2 * pw, t.c)
    out.index = g.activation(f"{name}/pad", out.shape())

    def write(b):
        tflite.PadOptionsStart(b)
        return tflite.PadOptionsEnd(b)
    g.op(tflite.BuiltinOperator.PAD, [t.index, g.constant(f"{name}/paddings", paddings, _INT32)],
         [out.index], tflite.BuiltinOptions.PadOptions, write)
    return out


def _conv(g, t, name, layer):
    weight, stride = layer["weight"], layer["stride"]
    out_c, _, kh, kw = weight.shape
    pad = _padding((kh, kw), layer["padding"], stride)
    if pad is None:
        t, pad = _pad(g, t, name, layer["padding"]), tflite.Padding.VALID
    out = _Tensor(None, t.n, _out_size(t.h, kh, stride[0], pad),
                  _out_size(t.w, kw, stride[1], pad), out_c)
    out.index = g.activation(f"{name}/out", out.shape())
    bias = g.constant(f"{name}/b", layer["bias"])
    relu = _activation(layer["relu"])
    if layer["depthwise"]:
        wt = g.constant(f"{name}/w", weight.transpose(1, 2, 3, 0))  # [1][kh][kw][c]

        def write(b):
            tflite.DepthwiseConv2DOptionsStart(b)
            tflite.DepthwiseConv2DOptionsAddPadding(b, pad)
            tflite.DepthwiseConv2DOptionsAddStrideH(b, stride[0])
            tflite.DepthwiseConv2DOptionsAddStrideW(b, stride[1])
            tflite.DepthwiseConv2DOptionsAddDepthMultiplier(b, 1)
            tflite.DepthwiseConv2DOptionsAddDilationHFactor(b, 1)
            tflite.DepthwiseConv2DOptionsAddDilationWFactor(b, 1)
            tflite.DepthwiseConv2DOptionsAddFusedActivationFunction(b, relu)
            return tflite.DepthwiseConv2DOptionsEnd(b)
        g.op(tflite.BuiltinOperator.DEPTHWISE_CONV_2D, [t.index, wt, bias], [out.index],
             tflite.BuiltinOptions.DepthwiseConv2DOptions, write)
    else:
        wt = g.constant(f"{name}/w", weight.transpose(0, 2, 3, 1))

        def write(b):
            tflite.Conv2DOptionsStart(b)
            tflite.Conv2DOptionsAddPadding(b, pad)
            tflite.Conv2DOptionsAddStrideH(b, stride[0])
            tflite.Conv2DOptionsAddStrideW(b, stride[1])
            tflite.Conv2DOptionsAddDilationHFactor(b, 1)
            tflite.Conv2DOptionsAddDilationWFactor(b, 1)
            tflite.Conv2DOptionsAddFusedActivationFunction(b, relu)
            return tflite.Conv2DOptionsEnd(b)
        g.op(tflite.BuiltinOperator.CONV_2D, [t.index, wt, bias], [out.index],
             tflite.BuiltinOptions.Conv2DOptions, write)
    return out


def _pool(g, t, name, builtin, kernel, stride):
    kernel = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    stride = stride if isinstance(stride, tuple) else (stride, stride)
    out = _Tensor(None, t.n, _out_size(t.h, kernel[0], stride[0], tflite.Padding.VALID),
                  _out_size(t.w, kernel[1], stride[1], tflite.Padding.VALID), t.c)
    out.index = g.activation(f"{name}/out", out.shape())

    def write(b):
        tflite.Pool2DOptionsStart(b)
        tflite.Pool2DOptionsAddPadding(b, tflite.Padding.VALID)
        tflite.Pool2DOptionsAddStrideH(b, stride[0])
        tflite.Pool2DOptionsAddStrideW(b, stride[1])
        tflite.Pool2DOptionsAddFilterHeight(b, kernel[0])
        tflite.Pool2DOptionsAddFilterWidth(b, kernel[1])
        tflite.Pool2DOptionsAddFusedActivationFunction(b, tflite.ActivationFunctionType.NONE)
        return tflite.Pool2DOptionsEnd(b)
    g.op(builtin, [t.index], [out.index], tflite.BuiltinOptions.Pool2DOptions, write)
    return out


def _flatten(g, t, name):
    new_shape = np.array([t.n, t.c * t.h * t.w], dtype=np.int32)
    out = _Tensor(g.activation(f"{name}/out", tuple(new_shape)), t.n, 0, 0, t.c * t.h * t.w,
                  chw_before_flatten=(t.c, t.h, t.w))

    def write(b):
        tflite.ReshapeOptionsStartNewShapeVector(b, len(new_shape))
        for d in reversed(new_shape):
            b.PrependInt32(int(d))
        shape_vec = b.EndVector()
        tflite.ReshapeOptionsStart(b)
        tflite.ReshapeOptionsAddNewShape(b, shape_vec)
        return tflite.ReshapeOptionsEnd(b)
    g.op(tflite.BuiltinOperator.RESHAPE, [t.index, g.constant(f"{name}/shape", new_shape, _INT32)],
         [out.index], tflite.BuiltinOptions.ReshapeOptions, write)
    return out


def _linear(g, t, name, layer):
    weight = layer["weight"]
    if t.chw_before_flatten is not None:  # torch flattened (c,h,w); we flattened (h,w,c)
        fc, fh, fw = t.chw_before_flatten
        weight = weight.reshape(-1, fc, fh, fw).transpose(0, 2, 3, 1).reshape(
            weight.shape[0], -1)
    out = _Tensor(None, t.n, 0, 0, weight.shape[0])
    out.index = g.activation(f"{name}/out", out.shape())

    def write(b):
        tflite.FullyConnectedOptionsStart(b)
        tflite.FullyConnectedOptionsAddFusedActivationFunction(b, _activation(layer["relu"]))
        tflite.FullyConnectedOptionsAddKeepNumDims(b, False)
        return tflite.FullyConnectedOptionsEnd(b)
    g.op(tflite.BuiltinOperator.FULLY_CONNECTED,
         [t.index, g.constant(f"{name}/w", weight), g.constant(f"{name}/b", layer["bias"])],
         [out.index], tflite.BuiltinOptions.FullyConnectedOptions, write)
    return out


def _residual(g, t, name, layer):
    main = _emit(g, layer["main"], t, f"{name}/main")
    shortcut = _emit(g, layer["shortcut"], t, f"{name}/shortcut")
    out = _Tensor(None, main.n, main.h, main.w, main.c)
    out.index = g.activation(f"{name}/out", out.shape())

    def write(b):
        tflite.AddOptionsStart(b)
        tflite.AddOptionsAddFusedActivationFunction(b, _activation(layer["relu"]))
        return tflite.AddOptionsEnd(b)
    g.op(tflite.BuiltinOperator.ADD, [main.index, shortcut.index], [out.index],
         tflite.BuiltinOptions.AddOptions, write)
    return out


def _emit(g, plan, t, prefix):
    """Appends the ops of a plan applied to t; returns the output."""
    for i, layer in enumerate(plan):
        kind, name = layer["op"], f"{prefix}{i}"
        if kind == "conv":
            t = _conv(g, t, name, layer)
        elif kind == "maxpool":
            t = _pool(g, t, name, tflite.BuiltinOperator.MAX_POOL_2D, layer["kernel"],
                      layer["stride"])
        elif kind == "avgpool":
            t = _pool(g, t, name, tflite.BuiltinOperator.AVERAGE_POOL_2D, layer["kernel"],
                      layer["stride"])
        elif kind == "flatten":
            t = _flatten(g, t, name)
        elif kind == "linear":
            t = _linear(g, t, name, layer)
        elif kind == "residual":
            t = _residual(g, t, name, layer)
        else:
            raise ValueError(kind)
    return t


def _plan_to_graph(plan, input_shape):
    g = _Graph()
    if len(input_shape) == 2:  # [N, features]
        t = _Tensor(None, input_shape[0], 0, 0, input_shape[1])
    else:
        n, c, h, w = input_shape
        t = _Tensor(None, n, h, w, c)
    t.index = g.activation("input", t.shape())
    out = _emit(g, plan, t, "")
    return g, [t.index], [out.index]


def _int_vector(b, values):
    b.StartVector(4, len(values), 4)
    for v in reversed(values):
        b.PrependInt32(int(v))
    return b.EndVector()


def _offset_vector(b, offsets):
    b.StartVector(4, len(offsets), 4)
    for off in reversed(offsets):
        b.PrependUOffsetTRelative(off)
    return b.EndVector()


def _aligned_bytes(b, data, alignment=16):
    """A byte vector whose payload is 16-byte aligned (XNNPACK reads weights in place)."""
    b.StartVector(1, len(data), alignment)
    b.head -= len(data)
    b.Bytes[b.head:b.head + len(data)] = data
    return b.EndVector()


def build_tflite(plan, input_shape):
    """Serialised .tflite bytes for the plan."""
    g, graph_inputs, graph_outputs = _plan_to_graph(plan, input_shape)
    b = flatbuffers.Builder(1 << 20)

    buffer_offsets = []
    for data in g.buffers:
        data_vec = _aligned_bytes(b, data) if data else None
        tflite.BufferStart(b)
        if data_vec is not None:
            tflite.BufferAddData(b, data_vec)
        buffer_offsets.append(tflite.BufferEnd(b))

    tensor_offsets = []
    for name, shape, tensor_type, buffer in g.tensors:
        name_off = b.CreateString(name)
        shape_off = _int_vector(b, shape)
        tflite.TensorStart(b)
        tflite.TensorAddShape(b, shape_off)
        tflite.TensorAddType(b, tensor_type)
        tflite.TensorAddBuffer(b, buffer)
        tflite.TensorAddName(b, name_off)
        tensor_offsets.append(tflite.TensorEnd(b))

    operator_offsets = []
    for opcode_index, inputs, outputs, options_type, write_options in g.operators:
        inputs_off = _int_vector(b, inputs)
        outputs_off = _int_vector(b, outputs)
        options_off = write_options(b)
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, opcode_index)
        tflite.OperatorAddInputs(b, inputs_off)
        tflite.OperatorAddOutputs(b, outputs_off)
        tflite.OperatorAddBuiltinOptionsType(b, options_type)
        tflite.OperatorAddBuiltinOptions(b, options_off)
        operator_offsets.append(tflite.OperatorEnd(b))

    tensors_vec = _offset_vector(b, tensor_offsets)
    operators_vec = _offset_vector(b, operator_offsets)
    inputs_vec = _int_vector(b, graph_inputs)
    outputs_vec = _int_vector(b, graph_outputs)
    subgraph_name = b.CreateString("main")
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, tensors_vec)
    tflite.SubGraphAddInputs(b, inputs_vec)
    tflite.SubGraphAddOutputs(b, outputs_vec)
    tflite.SubGraphAddOperators(b, operators_vec)
    tflite.SubGraphAddName(b, subgraph_name)
    subgraph = tflite.SubGraphEnd(b)

    opcode_offsets = []
    for builtin in g.opcodes:
        tflite.OperatorCodeStart(b)
        tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(builtin, 127))
        tflite.OperatorCodeAddBuiltinCode(b, builtin)
        tflite.OperatorCodeAddVersion(b, 1)
        opcode_offsets.append(tflite.OperatorCodeEnd(b))

    opcodes_vec = _offset_vector(b, opcode_offsets)
    subgraphs_vec = _offset_vector(b, [subgraph])
    buffers_vec = _offset_vector(b, buffer_offsets)
    description = b.CreateString("staticnn peer benchmark, tools/peers/tflite_writer.py")
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, 3)
    tflite.ModelAddOperatorCodes(b, opcodes_vec)
    tflite.ModelAddSubgraphs(b, subgraphs_vec)
    tflite.ModelAddDescription(b, description)
    tflite.ModelAddBuffers(b, buffers_vec)
    model = tflite.ModelEnd(b)
    b.Finish(model, file_identifier=b"TFL3")
    return bytes(b.Output())
