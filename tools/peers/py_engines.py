"""Worker: times the Python peer engines. Run by run_peers.py with the venv's python.

usage: py_engines.py ENGINE CASE...   (prints a JSON list of results on stdout)

One engine per process, so a crash or a thread pool of one engine cannot affect
another, and the thread limits below are in place before any engine is imported.
"""

import os
import sys

import single_thread

single_thread.limit_threads()
single_thread.pin_to_one_core()

import json  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from timing import time_per_call  # noqa: E402

BUILD_DIR = Path(os.environ.get("STATICNN_PEERS_BUILD",
                                Path(__file__).resolve().parents[2] / "build-peers"))


def log(message):
    print(f"[py_engines] {message}", file=sys.stderr, flush=True)


_torch_configured = False


def import_torch():
    global _torch_configured
    import torch
    if not _torch_configured:
        # Once only: a second set_num_interop_threads aborts the process (not an exception).
        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
        _torch_configured = True
    return torch


def blas_note():
    libs = single_thread.loaded_libraries("libblas", "libopenblas")
    short = ["/".join(Path(path).parts[-2:]) for path in libs]  # e.g. openblas-serial/libblas.so.3
    return "BLAS loaded: " + (", ".join(short) if short else "none")


def eager_reference(model, x):
    torch = import_torch()
    model.eval()
    with torch.no_grad():
        return model(x).numpy()


def max_diff(out, ref):
    return float(np.max(np.abs(np.asarray(out, dtype=np.float64) - ref)))


def check_close(engine, out, reference):
    """Raises unless out is reference to float32 accuracy (relative to its largest
    value: the MLPerf models' logits are not all of unit scale); returns max|diff|."""
    diff = max_diff(out, reference)
    if diff > 1e-3 * max(1.0, float(np.max(np.abs(reference)))):
        raise RuntimeError(f"{engine} output differs from eager torch by {diff}")
    return diff


def tflite_layout(x):
    """NCHW -> NHWC (TFLite's layout); [N, features] as it is."""
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1) if x.ndim == 4 else x)


def torch_layout(y):
    return y.transpose(0, 3, 1, 2) if y.ndim == 4 else y


_int8_models = {}


def int8_model(name):
    """tools/make_int8_golden.py's int8 model `name` ("lenet5": lenet_int8(), else
    mlperf_int8(name)), once per process: (the make_int8_golden module, what that function
    returns (the .tflite bytes and the int8 input [C][H][W] first), the input as the
    .tflite takes it (NHWC, or [1, features]), the output of LiteRT's reference kernels)."""
    if name not in _int8_models:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        import make_int8_golden as golden
        made = golden.lenet_int8() if name == "lenet5" else golden.mlperf_int8(name)
        x = made[1]
        x = np.ascontiguousarray(x.reshape(1, -1) if x.shape[1:] == (1, 1) else
                                 x.transpose(1, 2, 0)[None])
        reference = golden.run(made[0], [x], golden.RESOLVERS["reference"])
        _int8_models[name] = golden, made, x, reference
    return _int8_models[name]


def int8_steps(out, reference):
    """The largest difference in int8 steps from LiteRT's reference kernels."""
    return int(np.max(np.abs(np.asarray(out, np.int32).reshape(-1) -
                             np.asarray(reference, np.int32).reshape(-1))))


def tflite_model(case):
    """(.tflite bytes, its input, reference output, how the output is checked) for a case:
    an int8 model of make_int8_golden.py, or the float model written from the seeded
    torch weights by tflite_writer.py."""
    if case.int8:
        _, made, x, reference = int8_model(case.int8)
        return made[0], x, reference, "int8"
    import models
    import tflite_writer
    model, x = models.build(case.name)
    content = tflite_writer.build_tflite(models.layer_plan(model), tuple(x.shape))
    models_dir = BUILD_DIR / "models"
    models_dir.mkdir(parents=True, exist_ok=True)
    (models_dir / f"{case.name}.tflite").write_bytes(content)
    return content, tflite_layout(x.numpy()), eager_reference(model, x), "float"


def check_tflite_output(engine, out, reference, kind):
    """A note on how far out is from the reference; raises if it is too far."""
    if kind == "int8":
        steps = int8_steps(out, reference)
        if steps > 2:
            raise RuntimeError(f"{engine} is {steps} int8 steps from LiteRT's reference kernels")
        return f"{steps} int8 steps from LiteRT's reference kernels at most"
    return f"max|diff| vs eager torch {check_close(engine, torch_layout(out), reference):.2g}"


def run_pytorch_eager(case):
    torch = import_torch()
    import models
    model, x = models.build(case.name)
    if case.training:
        torch.manual_seed(models.SEED)
        labels = torch.randint(0, 10, (x.shape[0],))
        model.train()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        loss_fn = torch.nn.CrossEntropyLoss()

        def step():
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), labels)
            loss.backward()
            optimizer.step()
        timing = time_per_call(step)
        what = ("zero_grad(set_to_none) + forward + CrossEntropyLoss(mean) + backward + "
                "SGD(lr 0.01, momentum 0.9) step")
    else:
        model.eval()
        with torch.no_grad():
            timing = time_per_call(lambda: model(x))
        what = "model(x) under torch.no_grad()"
    return timing, (f"torch {torch.__version__} eager, 1 thread; {what}; {timing.summary}; "
                     f"{blas_note()}")


def run_torchscript_frozen(case):
    """Traced + frozen TorchScript; the faster of freeze and optimize_for_inference."""
    torch = import_torch()
    import models
    model, x = models.build(case.name)
    reference = eager_reference(model, x)
    variants = {}
    with torch.no_grad():
        variants["jit.freeze"] = torch.jit.freeze(torch.jit.trace(model, x))
        variants["jit.optimize_for_inference"] = torch.jit.optimize_for_inference(
            torch.jit.freeze(torch.jit.trace(model, x)))
    timings = {}
    with torch.inference_mode():
        for name, module in variants.items():
            diff = max_diff(module(x).numpy(), reference)
            if diff > 1e-3:
                raise RuntimeError(f"{name} output differs from eager by {diff}")
            timings[name] = (time_per_call(lambda: module(x)), diff)
    best = min(timings, key=lambda k: timings[k][0].seconds)
    timing, diff = timings[best]
    others = "; ".join(f"{k}: {v[0].seconds:.3g} s" for k, v in timings.items() if k != best)
    return timing, (f"torch {torch.__version__}, jit.trace + {best} run under "
                     f"torch.inference_mode, 1 thread (best variant; other: {others}); "
                     f"max|diff| vs eager {diff:.2g}; {timing.summary}; {blas_note()}")


def onnxruntime_session(path):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def run_onnxruntime(case):
    import onnxruntime as ort
    models_dir = BUILD_DIR / "models"
    models_dir.mkdir(parents=True, exist_ok=True)
    path = models_dir / f"{case.name}.onnx"
    if case.int8:
        import onnx_qlinear
        assert case.int8 == "lenet5", "onnx_qlinear writes LeNet-5 only"
        golden, made, _, reference = int8_model(case.int8)
        _, x_chw, _, _, _, _, quantized, act = made
        path.write_bytes(onnx_qlinear.lenet_qlinear(golden.LENET, quantized, act))
        x_np = np.ascontiguousarray(x_chw[None])
        what = ("model = tools/make_int8_golden.py's int8 LeNet-5 as QLinearConv/MaxPool "
                "nodes (tools/peers/onnx_qlinear.py), int8 in and out")
    else:
        torch = import_torch()
        import models
        model, x = models.build(case.name)
        reference = eager_reference(model, x)
        with torch.no_grad():
            torch.onnx.export(model, x, str(path), opset_version=13, do_constant_folding=True,
                              input_names=["input"], output_names=["output"])
        x_np = np.ascontiguousarray(x.numpy())
        what = "model = torch.onnx.export (opset 13) of the seeded torch model"
    session = onnxruntime_session(path)
    input_name, output_name = session.get_inputs()[0].name, session.get_outputs()[0].name
    out = np.empty((1, 10, 1, 1) if case.int8 else reference.shape,  # onnx_qlinear's output
                   dtype=np.int8 if case.int8 else np.float32)
    binding = session.io_binding()
    binding.bind_cpu_input(input_name, x_np)
    binding.bind_output(output_name, "cpu", 0, out.dtype, list(out.shape), out.ctypes.data)
    session.run_with_iobinding(binding)
    check = (check_tflite_output("onnxruntime", out, reference, "int8") if case.int8 else
             f"max|diff| vs eager torch {check_close('onnxruntime', out, reference):.2g}")
    timing = time_per_call(lambda: session.run_with_iobinding(binding))
    return timing, (f"onnxruntime {ort.__version__} CPUExecutionProvider, intra/inter "
                     f"threads 1, ORT_ENABLE_ALL, sequential; {what}; timed "
                     f"run_with_iobinding with pre-bound input/output; {check}; {timing.summary}")


def run_litert_xnnpack(case):
    from ai_edge_litert import interpreter as litert
    content, x, reference, kind = tflite_model(case)
    interp = litert.Interpreter(model_content=content, num_threads=1,
                                experimental_op_resolver_type=litert.OpResolverType.AUTO)
    interp.allocate_tensors()
    delegation = check_delegation(interp, whole=(kind == "float"))
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    out = interp.get_tensor(interp.get_output_details()[0]["index"])
    check = check_tflite_output("LiteRT", out, reference, kind)
    timing = time_per_call(interp.invoke)
    version = getattr(litert, "__version__", None) or _dist_version("ai-edge-litert")
    source = (f"tools/make_int8_golden.py's int8 {case.int8}" if kind == "int8" else
              ".tflite written directly from the seeded torch weights (NHWC) by "
              "tools/peers/tflite_writer.py")
    return timing, (f"ai-edge-litert {version}, {delegation}, num_threads 1; {source}; "
                     f"timed invoke() with input set once; {check}; {timing.summary}")


def run_tflm(case):
    """The TFLM interpreter (tflite-micro's Python wheel: TFLM's portable reference
    kernels built for x86), on the same .tflite as LiteRT."""
    from tflite_micro.python.tflite_micro import runtime
    content, x, reference, kind = tflite_model(case)
    # The arena holds every activation: TFLM's default (10x the model) is too small for
    # the large-activation cases.
    interp = runtime.Interpreter.from_bytes(content, arena_size=10 * len(content) + (32 << 20))
    interp.set_input(x, 0)
    interp.invoke()
    check = check_tflite_output("TFLM", interp.get_output(0), reference, kind)
    timing = time_per_call(interp.invoke)
    return timing, (f"tflite-micro {_dist_version('tflite-micro')} (TFLM interpreter, "
                     f"reference kernels); the .tflite LiteRT runs; timed invoke() with "
                     f"input set once; {check}; {timing.summary}")


def check_delegation(interp, whole):
    """Says how much of the graph XNNPACK runs. With whole=True (float models) it must
    have replaced the whole graph by one DELEGATE node; int8 graphs may be split (XNNPACK
    does not take every int8 op, e.g. AVERAGE_POOL_2D), the rest running in LiteRT's
    builtin kernels, as a user of LiteRT would get."""
    try:
        ops = interp._get_ops_details()  # the Python API's only view of the execution plan
    except AttributeError:
        return "XNNPACK delegate (default delegate; coverage not verifiable in this version)"
    delegates = [op for op in ops if op["op_name"] == "DELEGATE"]
    graph_in = {d["index"] for d in interp.get_input_details()}
    graph_out = {d["index"] for d in interp.get_output_details()}
    if len(delegates) == 1 and set(delegates[0]["outputs"]) == graph_out and (
            graph_in <= set(delegates[0]["inputs"])):
        return "XNNPACK delegate (whole graph)"
    if whole:
        raise RuntimeError(f"graph not fully delegated to XNNPACK ({len(delegates)} delegate "
                           f"partitions)")
    return (f"XNNPACK delegate ({len(delegates)} partitions of {len(ops) - len(delegates)} ops; "
            f"the ops between them run in LiteRT's builtin kernels)")


def _dist_version(name):
    from importlib.metadata import version
    return version(name)


RUNNERS = {
    "pytorch_eager": run_pytorch_eager,
    "torchscript_frozen": run_torchscript_frozen,
    "onnxruntime": run_onnxruntime,
    "litert_xnnpack": run_litert_xnnpack,
    "tflm": run_tflm,
}


def main():
    from cases import CASE_BY_NAME
    engine, case_names = sys.argv[1], sys.argv[2:]
    label = os.environ.get("STATICNN_PEERS_ENGINE_LABEL", engine)
    results = []
    for name in case_names:
        case = CASE_BY_NAME[name]
        log(f"{label} / {name} ...")
        try:
            timing, note = RUNNERS[engine](case)
            seconds, cpu_seconds = timing.seconds, timing.cpu_seconds
            note += f"; process threads: {len(os.listdir('/proc/self/task'))}"
            log(f"{label} / {name}: {seconds:.4g} s (CPU {cpu_seconds:.4g} s)")
        except Exception as error:  # one failing case must not hide the others
            traceback.print_exc(file=sys.stderr)
            seconds, cpu_seconds, note = None, None, f"failed: {type(error).__name__}: {error}"
        results.append({"case": name, "engine": label, "median_seconds": seconds,
                        "median_cpu_seconds": cpu_seconds, "note": note})
    print(json.dumps(results))


if __name__ == "__main__":
    main()
