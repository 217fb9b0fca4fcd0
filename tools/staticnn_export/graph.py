"""An ONNX graph to staticnn's layers: a list of Layer and Block values whose
parameters are numpy arrays, or an ExportError naming the node and the reason.

The graph must be one input, one output, series-parallel: a value used by
several nodes (a fork) must meet again in one Add (a residual block) or one
Concat on channels; anything else is refused rather than approximated.
"""

from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference


class ExportError(Exception):
    """What cannot be mapped, with the node it happened at."""

    def __init__(self, node, why):
        name = node.name or node.output[0] if node is not None else ""
        where = "node '%s' (%s): " % (name, node.op_type) if node is not None else ""
        super().__init__(where + why)


@dataclass
class Shape:
    c: int
    h: int = 1
    w: int = 1
    rank: int = 4  # the ONNX tensor's rank: 4 (N, C, H, W) or 2 (N, C)

    def same_as(self, other):
        return (self.c, self.h, self.w) == (other.c, other.h, other.w)


@dataclass
class Layer:
    kind: str  # Conv2d, Linear, BatchNorm2d, ReLU, ... (staticnn's names)
    spec: dict  # staticnn spec fields that differ from their defaults
    source: str  # ONNX node name(s), which carry the PyTorch module path
    params: list = field(default_factory=list)  # (name, array), state_dict order
    buffers: list = field(default_factory=list)
    in_shape: Shape = None
    out_shape: Shape = None


@dataclass
class Block:
    kind: str  # Residual (identity), Projection, Concat
    lists: list  # Residual: [main]; Projection: [main, shortcut]; Concat: branches
    source: str
    in_shape: Shape = None
    out_shape: Shape = None


# Nodes computed from constants (shape arithmetic, weight transposes): folded
# to constants before the layers are read.
CONSTANT_OPS = {"Identity", "Transpose", "Cast", "Unsqueeze", "Squeeze", "Gather", "Concat",
                "Reshape", "Add", "Sub", "Mul", "Div", "ConstantOfShape", "Slice"}
ARITHMETIC = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply}

# What may remain once constants are folded: the ops that map to layers.
LAYER_OPS = {"Conv", "MaxPool", "AveragePool", "Pad", "Relu", "Sigmoid", "Tanh", "HardSwish",
             "LeakyRelu", "Clip", "Softmax", "Dropout", "BatchNormalization", "Flatten", "Reshape",
             "GlobalAveragePool", "ReduceMean", "Gemm", "MatMul", "Add", "Concat", "Identity"}

ELEMENTWISE = {"Relu": "ReLU", "Sigmoid": "Sigmoid", "Tanh": "Tanh", "HardSwish": "Hardswish"}


def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


class Graph:
    def __init__(self, model):
        try:
            model = shape_inference.infer_shapes(model)
        except Exception as e:  # noqa: BLE001 - onnx raises many kinds
            raise ExportError(None, "ONNX shape inference failed: %s" % e)
        g = model.graph
        self.opset = next((o.version for o in model.opset_import
                           if o.domain in ("", "ai.onnx")), 13)
        self.const = {t.name: numpy_helper.to_array(t) for t in g.initializer}
        self.shapes = {}
        for v in list(g.input) + list(g.value_info) + list(g.output):
            dims = v.type.tensor_type.shape.dim
            self.shapes[v.name] = [d.dim_value if d.HasField("dim_value") else None for d in dims]
        inputs = [i for i in g.input if i.name not in self.const]
        if len(inputs) != 1 or len(g.output) != 1:
            raise ExportError(None, "staticnn networks have one input and one output; this graph "
                              "has %d inputs and %d outputs" % (len(inputs), len(g.output)))
        self.input, self.output = inputs[0].name, g.output[0].name
        self.nodes = []
        for node in g.node:
            if not self._fold_constant(node):
                self.nodes.append(node)
        for node in self.nodes:
            if node.op_type not in LAYER_OPS:
                raise ExportError(node, "no staticnn layer computes %s" % node.op_type)
        self.consumers = {}
        for node in self.nodes:
            for name in self.data_inputs(node):
                self.consumers.setdefault(name, []).append(node)
        self.used = set()

    # ------------------------------------------------------------ constants

    def _fold_constant(self, node):
        """Evaluates a node whose inputs are all known; False if it is a layer."""
        a = _attrs(node)
        if node.op_type == "Constant":
            if "value" not in a:
                raise ExportError(node, "only tensor constants are supported")
            self.const[node.output[0]] = numpy_helper.to_array(a["value"])
            return True
        if node.op_type == "Shape":
            dims = self.shapes.get(node.input[0])
            if dims is None or any(d is None for d in dims[1:]):
                raise ExportError(node, "the shape of '%s' is not static" % node.input[0])
            self.const[node.output[0]] = np.array([1 if d is None else d for d in dims], np.int64)
            return True
        ins = [i for i in node.input if i]
        if node.op_type not in CONSTANT_OPS or not all(i in self.const for i in ins):
            return False
        x = [self.const[i] for i in ins]
        op = node.op_type
        if op == "Identity" or op == "Cast":
            y = x[0] if op == "Identity" else \
                x[0].astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]])
        elif op == "Transpose":
            y = np.transpose(x[0], a.get("perm"))
        elif op == "Unsqueeze":
            axes = a.get("axes", x[1] if len(x) > 1 else None)
            y = np.expand_dims(x[0], tuple(int(v) for v in axes))
        elif op == "Squeeze":
            axes = a.get("axes", x[1] if len(x) > 1 else None)
            y = np.squeeze(x[0], None if axes is None else tuple(int(v) for v in axes))
        elif op == "Gather":
            y = np.take(x[0], x[1], axis=a.get("axis", 0))
        elif op == "Concat":
            y = np.concatenate(x, axis=a["axis"])
        elif op in ARITHMETIC:
            y = ARITHMETIC[op](x[0], x[1])
        elif op == "Div":
            y = x[0] // x[1] if x[0].dtype.kind in "iu" else x[0] / x[1]
        elif op == "ConstantOfShape":
            fill = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
            y = np.full([int(v) for v in x[0]], fill.ravel()[0], fill.dtype)
        elif op == "Slice":
            axes = x[3] if len(x) > 3 else range(len(x[1]))
            steps = x[4] if len(x) > 4 else [1] * len(x[1])
            index = [slice(None)] * x[0].ndim
            for start, end, axis, step in zip(x[1], x[2], axes, steps):
                index[int(axis)] = slice(int(start), int(end), int(step))
            y = x[0][tuple(index)]
        else:  # Reshape
            y = np.reshape(x[0], [int(v) for v in x[1]])
        self.const[node.output[0]] = np.asarray(y)
        return True

    def data_inputs(self, node):
        return [i for i in node.input if i and i not in self.const]

    def constant(self, node, index, what):
        if index >= len(node.input) or not node.input[index]:
            return None
        name = node.input[index]
        if name not in self.const:
            raise ExportError(node, "its %s must be a constant (an initializer)" % what)
        return self.const[name]

    # ----------------------------------------------------------------- walk

    def network(self):
        """(input Shape, layers) of the whole graph."""
        dims = self.shapes.get(self.input)
        if dims is None or len(dims) not in (2, 4) or any(d is None for d in dims[1:]):
            raise ExportError(None, "input '%s' has shape %s; staticnn needs a static [N, C, H, W] "
                              "or [N, F]" % (self.input, dims))
        shape = Shape(*dims[1:], rank=len(dims))
        self.batch = dims[0]
        layers, end, out = self.chain(self.input, shape, None)
        if end != self.output:
            raise ExportError(None, "the graph's output '%s' is not at the end of the chain" %
                              self.output)
        unused = [n for n in self.nodes if id(n) not in self.used]
        if unused:
            raise ExportError(unused[0], "not on the path from the input to the output")
        return shape, layers, out

    def chain(self, value, shape, stop):
        """Layers from `value` until `stop` (a join node) or the output."""
        layers = []
        while True:
            users = self.consumers.get(value, [])
            if stop is not None and users and all(u is stop for u in users):
                return layers, value, shape
            if not users:
                if value == self.output and stop is None:
                    return layers, value, shape
                raise ExportError(None, "value '%s' is not used and is not the output" % value)
            if value == self.output:
                raise ExportError(users[0], "the graph's output is also used inside the graph")
            if len(users) == 1:
                node = users[0]
                if node.op_type in ("Add", "Concat") and len(self.data_inputs(node)) > 1:
                    raise ExportError(node, "joins paths that do not fork from one value")
                layer_list, value, shape = self.layer(node, value, shape)
                layers += layer_list
            else:
                block, value, shape = self.block(value, shape, users)
                layers.append(block)

    def take(self, node):
        if id(node) in self.used:
            raise ExportError(node, "reached twice: the graph is not series-parallel")
        self.used.add(id(node))

    def block(self, value, shape, users):
        join = self.join_of(users)
        if join is None or join.op_type not in ("Add", "Concat"):
            raise ExportError(users[0], "'%s' forks into %d paths that do not meet in one Add or "
                              "Concat (staticnn's Residual and Concat blocks)" %
                              (value, len(users)))
        self.take(join)
        ins = self.data_inputs(join)
        if len(ins) != len(join.input) or \
                sum(i != value for i in ins) != sum(u is not join for u in users):
            raise ExportError(join, "its inputs are not exactly the paths forked from '%s'" % value)
        lists, shapes = [], []
        for name in ins:
            if name == value:
                lists.append([])
                shapes.append(shape)
                continue
            head = next((u for u in users if name in self.reachable(u)), None)
            layers, end, out = self.chain_from(head, value, shape, join)
            if end != name:
                raise ExportError(join, "paths cross between branches")
            lists.append(layers)
            shapes.append(out)
        if join.op_type == "Add":
            if len(lists) != 2:
                raise ExportError(join, "a residual Add takes two paths")
            for s in shapes[1:]:
                if not s.same_as(shapes[0]):
                    raise ExportError(join, "adds shapes that differ: %s and %s" %
                                      (_dims(shapes[0]), _dims(s)))
            if not lists[0] or not lists[1]:
                main = lists[0] or lists[1]
                out = shapes[0]
                return Block("Residual", [main], join.name, shape, out), join.output[0], out
            return (Block("Projection", lists, join.name, shape, shapes[0]), join.output[0],
                    shapes[0])
        axis = _attrs(join)["axis"]
        if axis not in (1, -shape.rank + 1):
            raise ExportError(join, "concatenates on axis %d; staticnn's Concat stacks channels "
                              "(axis 1)" % axis)
        if any(not l for l in lists):
            raise ExportError(join, "one of its inputs is the forked value itself; a Concat "
                              "branch needs at least one layer")
        if any((s.h, s.w) != (shapes[0].h, shapes[0].w) for s in shapes):
            raise ExportError(join, "concatenates branches of different H x W: %s" %
                              ", ".join(_dims(s) for s in shapes))
        out = Shape(sum(s.c for s in shapes), shapes[0].h, shapes[0].w, shapes[0].rank)
        return Block("Concat", lists, join.name, shape, out), join.output[0], out

    def chain_from(self, head, value, shape, stop):
        layer_list, value, shape = self.layer(head, value, shape)
        rest, end, out = self.chain(value, shape, stop)
        return layer_list + rest, end, out

    def reachable(self, node):
        seen, todo = set(), [node]
        while todo:
            n = todo.pop()
            for o in n.output:
                seen.add(o)
                for u in self.consumers.get(o, []):
                    if id(u) not in seen:
                        seen.add(id(u))
                        todo.append(u)
        return seen

    def join_of(self, users):
        """The first node (in the graph's topological order) on every path."""
        reach = []
        for u in users:
            r = self.reachable(u)
            r.add(id(u))
            reach.append(r)
        for node in self.nodes:
            if all(id(node) in r for r in reach):
                return node
        return None

    # --------------------------------------------------------------- layers

    def layer(self, node, value, shape):
        """([Layer], output value, output Shape) of the node fed by `value`."""
        self.take(node)
        if len(self.data_inputs(node)) != 1:
            raise ExportError(node, "takes %d computed inputs; as a layer it may take one" %
                              len(self.data_inputs(node)))
        for extra in node.output[1:]:
            if extra and self.consumers.get(extra):
                raise ExportError(node, "its output '%s' is used; staticnn has only the first" %
                                  extra)
        op, a = node.op_type, _attrs(node)
        out_value = node.output[0]
        if op == "Identity":
            return [], out_value, shape
        if op == "Pad":
            return self.padded(node, shape)
        if op in ("Conv", "MaxPool", "AveragePool"):
            layer = self.windowed(node, shape, [0, 0, 0, 0], None)
            return [layer], out_value, layer.out_shape
        if op in ELEMENTWISE:
            return [self.make(ELEMENTWISE[op], {}, node, shape, shape)], out_value, shape
        if op == "LeakyRelu":
            slope = np.float32(a.get("alpha", 0.01))
            spec = {} if slope == np.float32(0.01) else {"negative_slope": float(slope)}
            return [self.make("LeakyReLU", spec, node, shape, shape)], out_value, shape
        if op == "Clip":
            lo = a.get("min", self.constant(node, 1, "minimum"))
            hi = a.get("max", self.constant(node, 2, "maximum"))
            lo = -np.inf if lo is None else float(lo)
            hi = np.inf if hi is None else float(hi)
            if (lo, hi) == (0.0, 6.0):
                return [self.make("ReLU6", {}, node, shape, shape)], out_value, shape
            if (lo, hi) == (0.0, np.inf):
                return [self.make("ReLU", {}, node, shape, shape)], out_value, shape
            raise ExportError(node, "clips to [%g, %g]; staticnn has ReLU [0, inf) and ReLU6 "
                              "[0, 6]" % (lo, hi))
        if op == "Softmax":
            axis = a.get("axis", 1 if self.opset < 13 else -1)
            whole = (shape.h, shape.w) == (1, 1) and (axis % shape.rank == 1 or self.opset < 13)
            if not whole:
                raise ExportError(node, "softmax on axis %d of %s; staticnn's Softmax normalises "
                                  "the whole sample (C x 1 x 1)" % (axis, _dims(shape)))
            return [self.make("Softmax", {}, node, shape, shape)], out_value, shape
        if op == "Dropout":
            p = a.get("ratio", self.constant(node, 1, "ratio"))
            p = np.float32(0.5 if p is None else p)
            spec = {} if p == np.float32(0.5) else {"p": float(p)}
            return [self.make("Dropout", spec, node, shape, shape)], out_value, shape
        if op == "BatchNormalization":
            return [self.batch_norm(node, shape)], out_value, shape
        if op in ("Flatten", "Reshape"):
            layer = self.flatten(node, shape)
            return [layer], out_value, layer.out_shape
        if op == "GlobalAveragePool" or op == "ReduceMean":
            return self.global_pool(node, shape)
        if op == "Gemm":
            layer = self.gemm(node, shape)
            return [layer], out_value, layer.out_shape
        if op == "MatMul":
            return self.matmul(node, shape)
        raise ExportError(node, "is not a layer here (a %s of computed values)" % op)

    def make(self, kind, spec, node, in_shape, out_shape, params=(), buffers=()):
        return Layer(kind, spec, node.name, list(params), list(buffers), in_shape, out_shape)

    def padded(self, node, shape):
        """A zero Pad, absorbed by the Conv or AveragePool it feeds."""
        a = _attrs(node)
        mode = a.get("mode", b"constant")
        pads = a.get("pads")
        if pads is None:
            pads = self.constant(node, 1, "pads")
        value = self.constant(node, 2, "value")
        if mode not in (b"constant", "constant") or (value is not None and float(value) != 0.0):
            raise ExportError(node, "only zero padding maps to staticnn (mode %s)" % mode)
        pads = [int(p) for p in pads]
        if shape.rank != 4 or pads[0] or pads[1] or pads[4] or pads[5]:
            raise ExportError(node, "pads %s: staticnn pads H and W only" % pads)
        users = self.consumers.get(node.output[0], [])
        if len(users) != 1 or users[0].op_type not in ("Conv", "AveragePool"):
            raise ExportError(node, "a Pad maps to staticnn only as the padding of the one Conv "
                              "or AveragePool it feeds")
        nxt = users[0]
        self.take(nxt)
        layer = self.windowed(nxt, shape, [pads[2], pads[3], pads[6], pads[7]], node)
        return [layer], nxt.output[0], layer.out_shape

    def windowed(self, node, shape, extra_pads, pad_node):
        """Conv, MaxPool or AveragePool, with padding from a Pad node before it."""
        a = _attrs(node)
        op = node.op_type
        if shape.rank != 4:
            raise ExportError(node, "needs an [N, C, H, W] input, not %s" % _dims(shape))
        if op == "Conv":
            w = self.constant(node, 1, "weight")
            kernel = list(w.shape[2:])
            if len(kernel) != 2:
                raise ExportError(node, "only 2-D convolutions map to staticnn")
        else:
            kernel = list(a["kernel_shape"])
        stride = list(a.get("strides", [1, 1]))
        dilation = list(a.get("dilations", [1, 1]))
        pads = list(a.get("pads", [0, 0, 0, 0]))
        auto = a.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        ins = (shape.h, shape.w)
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            pads = [0] * 4
            for i in range(2):
                out = -(-ins[i] // stride[i])
                total = max((out - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1 - ins[i], 0)
                small, big = total // 2, total - total // 2
                pads[i], pads[i + 2] = (small, big) if auto == "SAME_UPPER" else (big, small)
        elif auto == "VALID":
            pads = [0] * 4
        own_pads = any(pads)
        pads = [p + e for p, e in zip(pads, extra_pads)]
        source = node.name if pad_node is None else "%s + %s" % (pad_node.name, node.name)
        padding, rounding, out_hw = self.resolve_padding(node, ins, kernel, stride, dilation,
                                                         pads, a.get("ceil_mode", 0))
        spec = {"kernel_size": _size(kernel)}
        if op == "Conv":
            groups = a.get("group", 1)
            out_c = w.shape[0]
            if w.shape[1] * groups != shape.c:
                raise ExportError(node, "weight %s does not fit %d input channels in %d groups" %
                                  (list(w.shape), shape.c, groups))
            spec = {"out_channels": int(out_c), **spec}
            if stride != [1, 1]:
                spec["stride"] = _size(stride)
            if padding != 0:
                spec["padding"] = padding
            if dilation != [1, 1]:
                spec["dilation"] = _size(dilation)
            if groups != 1:
                spec["groups"] = int(groups)
            bias = self.constant(node, 2, "bias")
            if bias is None:
                spec["bias"] = False
            if rounding:
                spec["rounding"] = "floor"
            params = [("weight", w)] + ([("bias", bias)] if bias is not None else [])
            out = Shape(int(out_c), *out_hw)
            return Layer("Conv2d", spec, source, params, [], shape, out)
        if dilation != [1, 1]:
            raise ExportError(node, "dilated pooling has no staticnn layer")
        if stride != kernel:
            spec["stride"] = _size(stride)
        if padding != 0:
            spec["padding"] = padding
            for i, axis in enumerate("HW"):
                if max(pads[i], pads[i + 2]) > kernel[i] // 2:
                    raise ExportError(node, "padding %d on %s is more than half the window %d "
                                      "(PyTorch's and staticnn's limit)" %
                                      (max(pads[i], pads[i + 2]), axis, kernel[i]))
        if op == "MaxPool":
            if pad_node is not None:
                raise ExportError(pad_node, "zero padding before a MaxPool is not a max pool's "
                                  "padding")
            if len(node.output) > 1 and node.output[1] and self.consumers.get(node.output[1]):
                raise ExportError(node, "its indices output has no staticnn equivalent")
        elif padding != 0:
            include = a.get("count_include_pad", 0) == 1 or not own_pads
            if pad_node is not None and own_pads and a.get("count_include_pad", 0) != 1:
                raise ExportError(node, "a Pad before an AveragePool that excludes its own "
                                  "padding from the count has no staticnn equivalent")
            if not include:
                spec["count_include_pad"] = False
        if rounding:
            spec["rounding"] = "floor"
        kind = "MaxPool2d" if op == "MaxPool" else "AvgPool2d"
        return Layer(kind, spec, source, [], [], shape, Shape(shape.c, *out_hw))

    def resolve_padding(self, node, ins, kernel, stride, dilation, pads, ceil_mode):
        """(staticnn padding: int, (h, w) or 'same'; floor rounding needed; (H, W) out)."""
        out, floor, symmetric, same = [], False, True, True
        for i, axis in enumerate("HW"):
            before, after = pads[i], pads[i + 2]
            extent = dilation[i] * (kernel[i] - 1) + 1
            span = ins[i] + before + after - extent
            if span < 0:
                raise ExportError(node, "window %d on %s is larger than the padded input %d" %
                                  (extent, axis, ins[i] + before + after))
            if span % stride[i]:
                if ceil_mode:
                    raise ExportError(node, "ceil_mode=1 with a window that does not tile %s "
                                      "(%d + %d + %d - %d not a multiple of %d): staticnn rounds "
                                      "down" % (axis, ins[i], before, after, extent, stride[i]))
                floor = True
            out.append(span // stride[i] + 1)
            same_out = -(-ins[i] // stride[i])
            total = max((same_out - 1) * stride[i] + extent - ins[i], 0)
            same = same and (before, after) == (total // 2, total - total // 2)
            symmetric = symmetric and before == after
        if symmetric:
            h, w = pads[0], pads[1]
            return (h if h == w else (h, w)), floor, out
        if same:
            return "same", False, out
        raise ExportError(node, "pads (top, left, bottom, right) = (%d, %d, %d, %d): staticnn "
                          "pads each axis symmetrically, or as 'same' with the odd pixel after"
                          % tuple(pads))

    def batch_norm(self, node, shape):
        a = _attrs(node)
        kind = {4: "BatchNorm2d", 2: "BatchNorm1d"}.get(shape.rank)
        if kind is None:
            raise ExportError(node, "needs an [N, C, H, W] or [N, C] input")
        scale = self.constant(node, 1, "scale")
        bias = self.constant(node, 2, "bias")
        mean = self.constant(node, 3, "running mean")
        var = self.constant(node, 4, "running variance")
        spec = {}
        eps = np.float32(a.get("epsilon", 1e-5))
        if eps != np.float32(1e-5):
            spec["eps"] = float(eps)
        momentum = np.float32(1.0) - np.float32(a.get("momentum", 0.9))  # ONNX keeps 1 - torch's
        if abs(momentum - np.float32(0.1)) > 1e-6:
            spec["momentum"] = float(momentum)
        return Layer(kind, spec, node.name, [("weight", scale), ("bias", bias)],
                     [("running_mean", mean), ("running_var", var)], shape, shape)

    def flatten(self, node, shape):
        size = shape.c * shape.h * shape.w
        if node.op_type == "Flatten":
            if _attrs(node).get("axis", 1) != 1:
                raise ExportError(node, "flattens from axis %d; staticnn's Flatten keeps the "
                                  "batch axis (axis 1)" % _attrs(node)["axis"])
        else:
            target = [int(v) for v in self.constant(node, 1, "shape")]
            batch = (-1, 0, 1, self.batch)
            if len(target) != 2 or target[1] not in (-1, size) or target[0] not in batch:
                raise ExportError(node, "reshapes %s to %s; only a flatten to [N, %d] maps to "
                                  "staticnn" % (_dims(shape), target, size))
        return self.make("Flatten", {}, node, shape, Shape(size, rank=2))

    def global_pool(self, node, shape):
        if shape.rank != 4:
            raise ExportError(node, "needs an [N, C, H, W] input")
        a = _attrs(node)
        layers = [self.make("GlobalAvgPool2d", {}, node, shape, Shape(shape.c))]
        if node.op_type == "ReduceMean":
            axes = a.get("axes")
            if axes is None:
                axes = self.constant(node, 1, "axes")
            if axes is None or sorted(int(x) % 4 for x in axes) != [2, 3]:
                raise ExportError(node, "ReduceMean over axes %s; only the mean over H and W maps "
                                  "to staticnn (GlobalAvgPool2d)" % axes)
            if not a.get("keepdims", 1):
                flat = Shape(shape.c, rank=2)
                layers.append(self.make("Flatten", {}, node, Shape(shape.c), flat))
        return layers, node.output[0], layers[-1].out_shape

    def linear_input(self, node, shape):
        if shape.rank != 2:
            raise ExportError(node, "needs a flat [N, F] input (a Flatten before it)")
        return shape.c

    def gemm(self, node, shape):
        a = _attrs(node)
        features = self.linear_input(node, shape)
        w = self.constant(node, 1, "weight")
        bias = self.constant(node, 2, "bias")
        if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
            raise ExportError(node, "only Gemm with transA = 0, alpha = beta = 1 is a Linear")
        if not a.get("transB", 0):
            w = w.T
        return self.linear(node, w, bias, features, shape)

    def linear(self, node, w, bias, features, shape, source=None):
        if w.ndim != 2 or w.shape[1] != features:
            raise ExportError(node, "weight %s does not take %d features" % (list(w.shape),
                                                                             features))
        if bias is not None:
            bias = np.broadcast_to(bias, (w.shape[0],)).copy() if bias.size in (1, w.shape[0]) \
                else None
            if bias is None:
                raise ExportError(node, "its bias does not have one value per output")
        spec = {"out_features": int(w.shape[0])}
        if bias is None:
            spec["bias"] = False
        params = [("weight", np.ascontiguousarray(w))] + ([("bias", bias)] if bias is not None
                                                          else [])
        return Layer("Linear", spec, source or node.name, params, [], shape,
                     Shape(int(w.shape[0]), rank=2))

    def matmul(self, node, shape):
        """x @ W (W constant), with the Add of a constant bias that follows, as Linear."""
        features = self.linear_input(node, shape)
        w = self.constant(node, 1, "weight").T
        users = self.consumers.get(node.output[0], [])
        bias, end, source = None, node.output[0], node.name
        if len(users) == 1 and users[0].op_type == "Add" and len(self.data_inputs(users[0])) == 1:
            add = users[0]
            self.take(add)
            bias = next(self.const[i] for i in add.input if i in self.const)
            end, source = add.output[0], "%s + %s" % (node.name, add.name)
        layer = self.linear(node, w, bias, features, shape, source)
        return [layer], end, layer.out_shape


def _size(pair):
    return int(pair[0]) if pair[0] == pair[1] else (int(pair[0]), int(pair[1]))


def _dims(s):
    return "[%d, %d, %d]" % (s.c, s.h, s.w) if s.rank == 4 else "[%d]" % s.c


def read(model):
    """(input Shape, layers, output Shape) of an onnx.ModelProto."""
    return Graph(model).network()


def load(path):
    try:
        return onnx.load(path)
    except Exception as e:  # noqa: BLE001
        raise ExportError(None, "cannot read ONNX file '%s': %s" % (path, e))
