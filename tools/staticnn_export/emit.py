"""The exporter's layers as C++ (a staticnn type, one layer per line, and
optionally its parameters as constexpr data) and as a safetensors file, both
keyed and ordered as staticnn's Net::tensors (PyTorch's state_dict order)."""

import json
import struct

import numpy as np

from .graph import Block

SPEC_TYPES = {"Conv2d": "Conv2dSpec", "Linear": "LinearSpec", "MaxPool2d": "Pool2dSpec",
              "AvgPool2d": "Pool2dSpec", "BatchNorm2d": "BatchNormSpec",
              "BatchNorm1d": "BatchNormSpec", "LeakyReLU": "LeakyReLUSpec",
              "Dropout": "DropoutSpec"}
# Specs whose fields a C++ spec lists in this order (designated initializers
# must follow the declaration order).
FIELD_ORDER = ["out_channels", "out_features", "kernel_size", "stride", "padding", "dilation",
               "groups", "count_include_pad", "bias", "rounding", "eps", "momentum",
               "negative_slope", "p"]


def value_text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, tuple):
        return "{%d, %d}" % v
    if isinstance(v, float):
        s = np.format_float_positional(np.float32(v), unique=True)
        return (s + "0" if s.endswith(".") else s) + "f"
    if v == "same":
        return "nn::same"
    if v == "floor":
        return "nn::Rounding::floor"
    return str(v)


def layer_type(layer):
    if layer.kind not in SPEC_TYPES:
        return "nn::" + layer.kind
    fields = ", ".join(".%s = %s" % (k, value_text(layer.spec[k]))
                       for k in FIELD_ORDER if k in layer.spec)
    if not fields and layer.kind not in ("Conv2d", "Linear"):
        return "nn::%s<>" % layer.kind
    # The spelled-out form (Spec{...}) compiles on every supported compiler.
    return "nn::%s<nn::%s{%s}>" % (layer.kind, SPEC_TYPES[layer.kind], fields)


def comment(source):
    return "  // " + source if source else ""


def list_lines(layers, indent, last_close):
    """Lines of a comma-separated list of layers; the last ends with last_close."""
    lines = []
    for i, layer in enumerate(layers):
        end = last_close if i + 1 == len(layers) else ","
        pad = " " * indent
        if isinstance(layer, Block):
            lines += block_lines(layer, indent, end)
        else:
            lines.append(pad + layer_type(layer) + end + comment(layer.source))
    return lines


def block_lines(block, indent, end):
    pad = " " * indent
    if block.kind == "Residual":
        return [pad + "nn::Residual<" + comment(block.source)] + \
            list_lines(block.lists[0], indent + 4, ">" + end)
    if block.kind == "Projection":
        return ([pad + "nn::Residual<" + comment(block.source), pad + "    nn::Main<"] +
                list_lines(block.lists[0], indent + 8, ">,") + [pad + "    nn::Shortcut<"] +
                list_lines(block.lists[1], indent + 8, ">>" + end))
    lines = [pad + "nn::Concat<" + comment(block.source)]
    for i, branch in enumerate(block.lists):
        lines.append(pad + "    nn::Branch<")
        lines += list_lines(branch, indent + 8, ">>" + end if i + 1 == len(block.lists) else ">,")
    return lines


def tensors(layers, prefix=""):
    """(key, is_parameter, array) in state_dict order."""
    out = []
    for i, layer in enumerate(layers):
        key = "%s%d." % (prefix, i)
        if isinstance(layer, Block):
            if layer.kind == "Residual":
                out += tensors(layer.lists[0], key)
            elif layer.kind == "Projection":
                out += tensors(layer.lists[0], key + "main.")
                out += tensors(layer.lists[1], key + "shortcut.")
            else:
                for b, branch in enumerate(layer.lists):
                    out += tensors(branch, "%s%d." % (key, b))
        else:
            out += [(key + name, True, a) for name, a in layer.params]
            out += [(key + name, False, a) for name, a in layer.buffers]
    return out


def counts(layers):
    t = tensors(layers)
    return (sum(a.size for _, p, a in t if p), sum(a.size for _, p, a in t if not p))


def float_lines(values):
    """Exact hexadecimal float literals, 8 per line."""
    text = []
    for v in np.asarray(values, np.float32).ravel().tolist():
        h = float(v).hex()
        mantissa, exponent = h.split("p")
        text.append(mantissa.rstrip("0").rstrip(".") + "p" + exponent if "." in mantissa else h)
    return ",\n".join(", ".join(text[i:i + 8]) for i in range(0, len(text), 8))


def check_finite(layers):
    """Non-finite weights have no C++ literal, and staticnn's loaders refuse them."""
    for key, _, a in tensors(layers):
        if not np.all(np.isfinite(a)):
            raise ValueError("tensor '%s' holds NaN or infinity" % key)


def header(source, namespace, in_shape, layers, out_shape, with_parameters):
    check_finite(layers)
    params, buffers = counts(layers)
    dims = "%d, %d, %d" % (in_shape.c, in_shape.h, in_shape.w) if in_shape.rank == 4 else \
        "%d" % in_shape.c
    lines = ["// Generated by staticnn_export from %s. Do not edit." % source,
             "// Layer comments: the ONNX node each layer comes from (PyTorch module paths).",
             "#pragma once", "", '#include "staticnn/core.hpp"', "",
             "namespace %s {" % namespace, "namespace nn = ::staticnn;", "",
             "using Net = nn::Network<", "    nn::Input<%s>%s" % (dims, "," if layers else ">;")]
    lines += list_lines(layers, 4, ">;")
    lines += ["",
              "// What the source computes: its parameter count and output shape.",
              "static_assert(Net::param_count == %d && Net::buffer_count == %d);" % (params,
                                                                                   buffers),
              "static_assert(Net::output_shape == nn::Shape{%d, %d, %d});" % (out_shape.c,
                                                                           out_shape.h,
                                                                           out_shape.w)]
    if with_parameters:
        t = tensors(layers)
        values = [a.ravel() for _, p, a in t if p] or [[]]
        buffers = [a.ravel() for _, p, a in t if not p] or [[]]
        lines += ["", "// Parameters, then buffers, in state_dict order (exact values: flash).",
                  "inline constexpr Net::Parameters parameters{{",
                  float_lines(np.concatenate(values)), "}, {", float_lines(np.concatenate(buffers)),
                  "}};"]
    lines += ["", "}  // namespace %s" % namespace, ""]
    return "\n".join(lines)


def safetensors(layers, metadata):
    """A safetensors file's bytes: F32 tensors under staticnn's keys."""
    check_finite(layers)
    entries, blobs, offset = {"__metadata__": metadata}, [], 0
    for key, _, a in tensors(layers):
        data = np.ascontiguousarray(a, "<f4").tobytes()
        entries[key] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(entries, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    return struct.pack("<Q", len(head)) + head + b"".join(blobs)
