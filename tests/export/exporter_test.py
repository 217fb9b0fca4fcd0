"""The exporter's mapping rules on small ONNX graphs built here (python3-onnx,
numpy; no PyTorch except for the last test, skipped without it): padding as
PyTorch and TensorFlow give it, rounding, the refusals and their messages,
Linear from MatMul + Add, BatchNorm folding, the safetensors layout.

    PYTHONPATH=tools /usr/bin/python3 tests/export/exporter_test.py
"""

import json
import struct
import unittest

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from staticnn_export import emit, graph
from staticnn_export.fold import fold


def model(nodes, inits, in_dims, out_name="y", extra_outputs=()):
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_dims)]
    outputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None)
               for n in (out_name,) + tuple(extra_outputs)]
    g = helper.make_graph(nodes, "g", inputs, outputs,
                          [numpy_helper.from_array(np.asarray(v, np.float32), k)
                           for k, v in inits.items()])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])


def conv(name, cin, cout, k, x="x", y="y", **attrs):
    rng = np.random.default_rng(len(name))
    inits = {name + ".w": rng.standard_normal((cout, cin // attrs.get("group", 1)) + k),
             name + ".b": rng.standard_normal(cout)}
    return helper.make_node("Conv", [x, name + ".w", name + ".b"], [y], name=name, **attrs), inits


def read(nodes, inits, in_dims, **kw):
    return graph.read(model(nodes, inits, in_dims, **kw))


class Padding(unittest.TestCase):
    def test_pytorch_padding_1_stride_2_is_explicit_with_floor(self):
        node, inits = conv("c", 3, 4, (3, 3), strides=[2, 2], pads=[1, 1, 1, 1])
        _, layers, out = read([node], inits, [1, 3, 8, 8])
        self.assertEqual(layers[0].spec, {"out_channels": 4, "kernel_size": 3, "stride": 2,
                                          "padding": 1, "rounding": "floor"})
        self.assertEqual((out.h, out.w), (4, 4))

    def test_tensorflow_same_with_the_odd_pixel_after_is_same(self):
        node, inits = conv("c", 3, 4, (2, 2), pads=[0, 0, 1, 1])
        _, layers, _ = read([node], inits, [1, 3, 5, 5])
        self.assertEqual(layers[0].spec["padding"], "same")
        self.assertIn(".padding = nn::same", emit.layer_type(layers[0]))

    def test_auto_pad_same_upper(self):
        node, inits = conv("c", 3, 4, (4, 4), strides=[2, 2], auto_pad="SAME_UPPER")
        _, layers, out = read([node], inits, [1, 3, 7, 7])
        self.assertEqual((layers[0].spec["padding"], out.h), ("same", 4))

    def test_rectangular_padding(self):
        node, inits = conv("c", 1, 2, (10, 4), strides=[2, 2], pads=[5, 1, 5, 1])
        _, layers, _ = read([node], inits, [1, 1, 49, 10])
        self.assertEqual(layers[0].spec["padding"], (5, 1))
        self.assertIn(".kernel_size = {10, 4}", emit.layer_type(layers[0]))

    def test_padding_before_is_refused(self):
        node, inits = conv("c", 3, 4, (2, 2), auto_pad="SAME_LOWER")
        with self.assertRaisesRegex(graph.ExportError, r"node 'c' \(Conv\): pads .* = "
                                    r"\(1, 1, 0, 0\): staticnn pads each axis symmetrically"):
            read([node], inits, [1, 3, 5, 5])

    def test_ceil_mode_that_rounds_up_is_refused(self):
        pool = helper.make_node("MaxPool", ["x"], ["y"], name="p", kernel_shape=[2, 2],
                                strides=[2, 2], ceil_mode=1)
        with self.assertRaisesRegex(graph.ExportError, r"node 'p' \(MaxPool\): ceil_mode=1"):
            read([pool], {}, [1, 3, 5, 5])
        _, layers, _ = read([pool], {}, [1, 3, 6, 6])  # tiles: ceil and floor agree
        self.assertEqual(layers[0].spec, {"kernel_size": 2})

    def test_average_pool_excluding_padding(self):
        pool = helper.make_node("AveragePool", ["x"], ["y"], name="p", kernel_shape=[3, 3],
                                strides=[1, 1], pads=[1, 1, 1, 1])
        _, layers, _ = read([pool], {}, [1, 3, 6, 6])
        self.assertEqual(layers[0].spec, {"kernel_size": 3, "stride": 1, "padding": 1,
                                          "count_include_pad": False})


class Refusals(unittest.TestCase):
    def test_unsupported_op(self):
        n = helper.make_node("Elu", ["x"], ["y"], name="act")
        with self.assertRaisesRegex(graph.ExportError, r"node 'act' \(Elu\): no staticnn layer"):
            read([n], {}, [1, 3, 4, 4])

    def test_residual_of_two_shapes(self):
        c, inits = conv("c", 3, 4, (1, 1), y="h")
        add = helper.make_node("Add", ["x", "h"], ["y"], name="sum")
        with self.assertRaisesRegex(graph.ExportError, r"node 'sum' \(Add\): adds shapes that "
                                    r"differ: \[3, 4, 4\] and \[4, 4, 4\]"):
            read([c, add], inits, [1, 3, 4, 4])

    def test_dynamic_shape(self):
        n = helper.make_node("Relu", ["x"], ["y"], name="r")
        with self.assertRaisesRegex(graph.ExportError, "static"):
            read([n], {}, [1, 3, "height", 4])

    def test_two_outputs(self):
        a = helper.make_node("Relu", ["x"], ["y"], name="a")
        b = helper.make_node("Sigmoid", ["x"], ["z"], name="b")
        with self.assertRaisesRegex(graph.ExportError, "one input and one output"):
            read([a, b], {}, [1, 3, 4, 4], extra_outputs=["z"])

    def test_concat_on_height(self):
        a = helper.make_node("Relu", ["x"], ["a"], name="a")
        b = helper.make_node("Sigmoid", ["x"], ["b"], name="b")
        cat = helper.make_node("Concat", ["a", "b"], ["y"], name="cat", axis=2)
        with self.assertRaisesRegex(graph.ExportError, r"node 'cat' \(Concat\): concatenates "
                                    "on axis 2"):
            read([a, b, cat], {}, [1, 3, 4, 4])

    def test_softmax_over_channels_of_a_plane(self):
        n = helper.make_node("Softmax", ["x"], ["y"], name="sm", axis=1)
        with self.assertRaisesRegex(graph.ExportError, r"node 'sm' \(Softmax\)"):
            read([n], {}, [1, 3, 4, 4])


    def test_non_finite_weights(self):
        node, inits = conv("c", 1, 2, (1, 1))
        inits["c.b"][1] = np.nan
        _, layers, out = read([node], inits, [1, 1, 2, 2])
        with self.assertRaisesRegex(ValueError, "tensor '0.bias' holds NaN or infinity"):
            emit.header("t.onnx", "t", layers[0].in_shape, layers, out, True)
        with self.assertRaisesRegex(ValueError, "tensor '0.bias' holds NaN or infinity"):
            emit.safetensors(layers, {})


class Mapping(unittest.TestCase):
    def test_blocks_and_keys(self):
        c1, i1 = conv("main", 3, 3, (3, 3), y="m", pads=[1, 1, 1, 1])
        c2, i2 = conv("short", 3, 3, (1, 1), y="s")
        add = helper.make_node("Add", ["m", "s"], ["r"], name="add")
        a = helper.make_node("Relu", ["r"], ["a"], name="a")
        b, i3 = conv("b", 3, 2, (1, 1), x="r", y="bb")
        cat = helper.make_node("Concat", ["a", "bb"], ["y"], name="cat", axis=1)
        _, layers, out = read([c1, c2, add, a, b, cat], {**i1, **i2, **i3}, [1, 3, 4, 4])
        self.assertEqual([l.kind for l in layers], ["Projection", "Concat"])
        self.assertEqual(out.c, 5)
        keys = [k for k, _, _ in emit.tensors(layers)]
        self.assertEqual(keys, ["0.main.0.weight", "0.main.0.bias", "0.shortcut.0.weight",
                                "0.shortcut.0.bias", "1.1.0.weight", "1.1.0.bias"])

    def test_matmul_and_add_are_one_linear(self):
        w = np.arange(12, dtype=np.float32).reshape(4, 3)  # x @ w: 4 in, 3 out
        mm = helper.make_node("MatMul", ["x", "w"], ["h"], name="mm")
        add = helper.make_node("Add", ["h", "b"], ["y"], name="add")
        _, layers, _ = read([mm, add], {"w": w, "b": [1, 2, 3]}, [1, 4])
        self.assertEqual(layers[0].kind, "Linear")
        np.testing.assert_array_equal(dict(layers[0].params)["weight"], w.T)
        np.testing.assert_array_equal(dict(layers[0].params)["bias"], [1, 2, 3])

    def test_fold_matches_the_formula(self):
        c = helper.make_node("Conv", ["x", "w"], ["h"], name="c")
        bn = helper.make_node("BatchNormalization", ["h", "g", "beta", "mean", "var"], ["y"],
                              name="bn", epsilon=1e-3)
        w = np.array([[[[2.0]]], [[[-1.0]]]], np.float32)
        inits = {"w": w, "g": [1.5, 0.5], "beta": [0.1, -0.2], "mean": [0.3, 0.4],
                 "var": [4.0, 0.25]}
        _, layers, _ = read([c, bn], inits, [1, 1, 2, 2])
        self.assertEqual(layers[1].spec, {"eps": np.float32(1e-3).item()})
        folded = fold(layers)
        self.assertEqual(len(folded), 1)
        self.assertNotIn("bias", folded[0].spec)  # bias = true: the default, as fold.hpp sets
        v = {k: np.asarray(a, np.float32).astype(np.float64) for k, a in inits.items()}
        s = v["g"] / np.sqrt(v["var"] + np.float32(1e-3).item())  # in double, rounded once
        p = dict(folded[0].params)
        np.testing.assert_array_equal(p["weight"], (v["w"] * s.reshape(2, 1, 1, 1))
                                      .astype(np.float32))
        np.testing.assert_array_equal(p["bias"], ((0 - v["mean"]) * s + v["beta"])
                                      .astype(np.float32))

    def test_safetensors_layout(self):
        c, inits = conv("c", 1, 2, (1, 1))
        _, layers, _ = read([c], inits, [1, 1, 2, 2])
        data = emit.safetensors(layers, {"source": "test"})
        (n,) = struct.unpack("<Q", data[:8])
        self.assertEqual(n % 8, 0)
        head = json.loads(data[8:8 + n])
        self.assertEqual(list(head), ["__metadata__", "0.weight", "0.bias"])
        self.assertEqual(head["0.weight"], {"dtype": "F32", "shape": [2, 1, 1, 1],
                                            "data_offsets": [0, 8]})
        body = np.frombuffer(data[8 + n:], "<f4")
        np.testing.assert_array_equal(body, np.concatenate([inits["c.w"].ravel(),
                                                            inits["c.b"]]).astype(np.float32))


try:
    import torch
except ImportError:
    torch = None


@unittest.skipIf(torch is None, "needs PyTorch")
class FromPyTorch(unittest.TestCase):
    def test_export_leaves_the_module_and_its_statistics_alone(self):
        from staticnn_export.from_torch import to_onnx
        m = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2))
        with torch.no_grad():
            m[1].running_mean.fill_(0.5)
        before = {k: v.clone() for k, v in m.state_dict().items()}
        exported = {t.name: numpy_helper.to_array(t)
                    for t in to_onnx(m, (1, 5, 5)).graph.initializer}
        for k, v in m.state_dict().items():
            self.assertTrue(torch.equal(v, before[k]), k)
        np.testing.assert_array_equal(exported["1.running_mean"], [0.5, 0.5])


if __name__ == "__main__":
    unittest.main()
