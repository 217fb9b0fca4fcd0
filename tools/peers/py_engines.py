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
        seconds, summary = time_per_call(step)
        what = ("zero_grad(set_to_none) + forward + CrossEntropyLoss(mean) + backward + "
                "SGD(lr 0.01, momentum 0.9) step")
    else:
        model.eval()
        with torch.no_grad():
            seconds, summary = time_per_call(lambda: model(x))
        what = "model(x) under torch.no_grad()"
    return seconds, (f"torch {torch.__version__} eager, 1 thread; {what}; {summary}; "
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
            timings[name] = (*time_per_call(lambda: module(x)), diff)
    best = min(timings, key=lambda k: timings[k][0])
    seconds, summary, diff = timings[best]
    others = "; ".join(f"{k}: {v[0]:.3g} s" for k, v in timings.items() if k != best)
    return seconds, (f"torch {torch.__version__}, jit.trace + {best} run under "
                     f"torch.inference_mode, 1 thread (best variant; other: {others}); "
                     f"max|diff| vs eager {diff:.2g}; {summary}; {blas_note()}")


def run_onnxruntime(case):
    import onnxruntime as ort
    torch = import_torch()
    import models
    model, x = models.build(case.name)
    reference = eager_reference(model, x)
    models_dir = BUILD_DIR / "models"
    models_dir.mkdir(parents=True, exist_ok=True)
    path = models_dir / f"{case.name}.onnx"
    with torch.no_grad():
        torch.onnx.export(model, x, str(path), opset_version=13, do_constant_folding=True,
                          input_names=["input"], output_names=["output"])
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    x_np = np.ascontiguousarray(x.numpy())
    out = np.empty(reference.shape, dtype=np.float32)
    binding = session.io_binding()
    binding.bind_cpu_input("input", x_np)
    binding.bind_output("output", "cpu", 0, np.float32, list(out.shape), out.ctypes.data)
    session.run_with_iobinding(binding)
    diff = max_diff(out, reference)
    if diff > 1e-3:
        raise RuntimeError(f"onnxruntime output differs from eager torch by {diff}")
    seconds, summary = time_per_call(lambda: session.run_with_iobinding(binding))
    return seconds, (f"onnxruntime {ort.__version__} CPUExecutionProvider, intra/inter "
                     f"threads 1, ORT_ENABLE_ALL, sequential; model = torch.onnx.export "
                     f"(opset 13) of the seeded torch model; timed run_with_iobinding with "
                     f"pre-bound input/output; max|diff| vs eager torch {diff:.2g}; {summary}")


def run_litert_xnnpack(case):
    from ai_edge_litert import interpreter as litert
    import models
    import tflite_writer
    model, x = models.build(case.name)
    reference = eager_reference(model, x)
    content = tflite_writer.build_tflite(models.layer_plan(model), tuple(x.shape))
    models_dir = BUILD_DIR / "models"
    models_dir.mkdir(parents=True, exist_ok=True)
    (models_dir / f"{case.name}.tflite").write_bytes(content)
    interp = litert.Interpreter(model_content=content, num_threads=1,
                                experimental_op_resolver_type=litert.OpResolverType.AUTO)
    interp.allocate_tensors()
    delegation = check_fully_delegated(interp)
    input_detail = interp.get_input_details()[0]
    output_detail = interp.get_output_details()[0]
    interp.set_tensor(input_detail["index"],
                      np.ascontiguousarray(x.numpy().transpose(0, 2, 3, 1)))
    interp.invoke()
    out = interp.get_tensor(output_detail["index"])
    if out.ndim == 4:
        out = out.transpose(0, 3, 1, 2)
    diff = max_diff(out, reference)
    if diff > 1e-3:
        raise RuntimeError(f"LiteRT output differs from eager torch by {diff}")
    seconds, summary = time_per_call(interp.invoke)
    version = getattr(litert, "__version__", None) or _dist_version("ai-edge-litert")
    return seconds, (f"ai-edge-litert {version}, {delegation}, "
                     f"num_threads 1; .tflite written directly from the seeded torch "
                     f"weights (NHWC) by tools/peers/tflite_writer.py; timed invoke() with "
                     f"input set once; max|diff| vs eager torch {diff:.2g}; {summary}")


def check_fully_delegated(interp):
    """XNNPACK must have replaced the whole graph by one DELEGATE node."""
    try:
        ops = interp._get_ops_details()  # the Python API's only view of the execution plan
    except AttributeError:
        return "XNNPACK delegate (default delegate; coverage not verifiable in this version)"
    delegates = [op for op in ops if op["op_name"] == "DELEGATE"]
    graph_in = {d["index"] for d in interp.get_input_details()}
    graph_out = {d["index"] for d in interp.get_output_details()}
    if len(delegates) != 1 or set(delegates[0]["outputs"]) != graph_out or not (
            graph_in <= set(delegates[0]["inputs"])):
        raise RuntimeError(f"graph not fully delegated to XNNPACK: {ops}")
    return "XNNPACK delegate (whole graph)"


def _dist_version(name):
    from importlib.metadata import version
    return version(name)


RUNNERS = {
    "pytorch_eager": run_pytorch_eager,
    "torchscript_frozen": run_torchscript_frozen,
    "onnxruntime": run_onnxruntime,
    "litert_xnnpack": run_litert_xnnpack,
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
            seconds, note = RUNNERS[engine](case)
            note += f"; process threads: {len(os.listdir('/proc/self/task'))}"
            log(f"{label} / {name}: {seconds:.4g} s")
        except Exception as error:  # one failing case must not hide the others
            traceback.print_exc(file=sys.stderr)
            seconds, note = None, f"failed: {type(error).__name__}: {error}"
        results.append({"case": name, "engine": label, "median_seconds": seconds,
                        "note": note})
    print(json.dumps(results))


if __name__ == "__main__":
    main()
