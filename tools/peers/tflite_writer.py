"""Writes a .tflite flatbuffer for a models.layer_plan, with the `tflite` schema package.

No converter is involved: the ops used here (CONV_2D and FULLY_CONNECTED with fused
ReLU, MAX_POOL_2D, RESHAPE) map one to one onto TFLite builtins, so the model is
written directly, in TFLite's NHWC layout:
  - conv weights [out][in][kh][kw] (PyTorch) become [out][kh][kw][in] (TFLite OHWI);
  - symmetric PyTorch padding becomes SAME (stride 1, odd kernel) or VALID (zero);
  - Flatten of NHWC data yields (h, w, c) order, so the columns of the Linear that
    follows are permuted to match: the function computed is exactly PyTorch's.
The input is NHWC, the output [N, features] (or NHWC for conv-only cases).
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
    if all(p == 0 for p in padding):
        return tflite.Padding.VALID
    if all(s == 1 and k % 2 == 1 and p == k // 2
           for k, p, s in zip(kernel, padding, stride)):
        return tflite.Padding.SAME
    raise ValueError(f"padding {padding} for kernel {kernel} has no TFLite equivalent")


def _out_size(size, kernel, stride, padding_kind):
    if padding_kind == tflite.Padding.SAME:
        return -(-size // stride)
    return (size - kernel) // stride + 1


def _activation(relu):
    return tflite.ActivationFunctionType.RELU if relu else tflite.ActivationFunctionType.NONE


def _plan_to_graph(plan, input_shape_nchw):
    g = _Graph()
    n, c, h, w = input_shape_nchw
    current = g.activation("input", (n, h, w, c))
    inputs = [current]
    chw_before_flatten = None
    for i, layer in enumerate(plan):
        kind = layer["op"]
        if kind == "conv":
            weight, stride = layer["weight"], layer["stride"]
            out_c, _, kh, kw = weight.shape
            pad = _padding((kh, kw), layer["padding"], stride)
            h, w = _out_size(h, kh, stride[0], pad), _out_size(w, kw, stride[1], pad)
            c = out_c
            wt = g.constant(f"conv{i}/w", weight.transpose(0, 2, 3, 1))
            bt = g.constant(f"conv{i}/b", layer["bias"])
            out = g.activation(f"conv{i}/out", (n, h, w, c))

            def write(b, pad=pad, stride=stride, relu=layer["relu"]):
                tflite.Conv2DOptionsStart(b)
                tflite.Conv2DOptionsAddPadding(b, pad)
                tflite.Conv2DOptionsAddStrideH(b, stride[0])
                tflite.Conv2DOptionsAddStrideW(b, stride[1])
                tflite.Conv2DOptionsAddDilationHFactor(b, 1)
                tflite.Conv2DOptionsAddDilationWFactor(b, 1)
                tflite.Conv2DOptionsAddFusedActivationFunction(b, _activation(relu))
                return tflite.Conv2DOptionsEnd(b)
            g.op(tflite.BuiltinOperator.CONV_2D, [current, wt, bt], [out],
                 tflite.BuiltinOptions.Conv2DOptions, write)
        elif kind == "maxpool":
            k, s = layer["kernel"], layer["stride"]
            h = _out_size(h, k, s, tflite.Padding.VALID)
            w = _out_size(w, k, s, tflite.Padding.VALID)
            out = g.activation(f"pool{i}/out", (n, h, w, c))

            def write(b, k=k, s=s):
                tflite.Pool2DOptionsStart(b)
                tflite.Pool2DOptionsAddPadding(b, tflite.Padding.VALID)
                tflite.Pool2DOptionsAddStrideH(b, s)
                tflite.Pool2DOptionsAddStrideW(b, s)
                tflite.Pool2DOptionsAddFilterHeight(b, k)
                tflite.Pool2DOptionsAddFilterWidth(b, k)
                tflite.Pool2DOptionsAddFusedActivationFunction(
                    b, tflite.ActivationFunctionType.NONE)
                return tflite.Pool2DOptionsEnd(b)
            g.op(tflite.BuiltinOperator.MAX_POOL_2D, [current], [out],
                 tflite.BuiltinOptions.Pool2DOptions, write)
        elif kind == "flatten":
            chw_before_flatten = (c, h, w)
            new_shape = np.array([n, c * h * w], dtype=np.int32)
            st = g.constant(f"flatten{i}/shape", new_shape, _INT32)
            out = g.activation(f"flatten{i}/out", tuple(new_shape))

            def write(b, new_shape=new_shape):
                tflite.ReshapeOptionsStartNewShapeVector(b, len(new_shape))
                for d in reversed(new_shape):
                    b.PrependInt32(int(d))
                shape_vec = b.EndVector()
                tflite.ReshapeOptionsStart(b)
                tflite.ReshapeOptionsAddNewShape(b, shape_vec)
                return tflite.ReshapeOptionsEnd(b)
            g.op(tflite.BuiltinOperator.RESHAPE, [current, st], [out],
                 tflite.BuiltinOptions.ReshapeOptions, write)
            c, h, w = c * h * w, 1, 1
        elif kind == "linear":
            weight = layer["weight"]
            if chw_before_flatten is not None:  # torch flattened (c,h,w); we flattened (h,w,c)
                fc, fh, fw = chw_before_flatten
                weight = weight.reshape(-1, fc, fh, fw).transpose(0, 2, 3, 1).reshape(
                    weight.shape[0], -1)
                chw_before_flatten = None
            c = weight.shape[0]
            wt = g.constant(f"fc{i}/w", weight)
            bt = g.constant(f"fc{i}/b", layer["bias"])
            out = g.activation(f"fc{i}/out", (n, c))

            def write(b, relu=layer["relu"]):
                tflite.FullyConnectedOptionsStart(b)
                tflite.FullyConnectedOptionsAddFusedActivationFunction(b, _activation(relu))
                tflite.FullyConnectedOptionsAddKeepNumDims(b, False)
                return tflite.FullyConnectedOptionsEnd(b)
            g.op(tflite.BuiltinOperator.FULLY_CONNECTED, [current, wt, bt], [out],
                 tflite.BuiltinOptions.FullyConnectedOptions, write)
        else:
            raise ValueError(kind)
        current = out
    return g, inputs, [current]


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


def build_tflite(plan, input_shape_nchw):
    """Serialised .tflite bytes for the plan."""
    g, graph_inputs, graph_outputs = _plan_to_graph(plan, input_shape_nchw)
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
