#!/usr/bin/python3
"""Builds and runs the staticnn benchmark suite and writes BENCHMARKS.md.

    /usr/bin/python3 tools/benchmarks.py            # the full report (20-25 minutes)
    /usr/bin/python3 tools/benchmarks.py --quick    # smoke run: tiny min time, no
                                                    # repetitions, no peers, no compile
                                                    # time; writes build-bench/BENCHMARKS.quick.md

Steps: configure and build the benchmarks in build-bench (Release; --build-dir for
another); run peak_bench, conv2d_bench, layers_bench, network_bench, mlperf_bench (the
MLPerf Tiny models) and int8_bench pinned to one core (taskset -c 1) with 5
repetitions, keeping the medians, and network_bench's multi-core cases (names matching
PARALLEL_RE) on every core; run tools/compile_time.py; run the peer engines
(tools/peers/run_peers.py: PyTorch, TorchScript, ONNX Runtime, LiteRT/XNNPACK, the TFLM
interpreter, dlib; float and int8) if present; on a machine with AVX-512, build
conv2d_bench, layers_bench and network_bench again with AVX-512 disabled (build-bench-avx2:
the AVX2 code and register tiles an AVX2-only machine runs) and run them against the AVX2
peak of the same peak_bench run; write the report (depthwise passes also against their
roofline: conv2d_bench's BM_MemoryBound_* twins), ending with the targets of issue 12
reached or not. Every step may fail on its own (a colleague's
benchmark that does not build or does not exist yet, a missing peer script): the report
says what is missing and why, and the rest is still written.

Times are medians of wall-clock and of CPU time. GFLOP/s are the benchmarks' FLOPS
counters, i.e. per CPU second (Google Benchmark's rate counters), so that another
process sharing the core does not lower them; "% of peak" is against the AVX3 FMA
peak that peak_bench measures the same way in the same run. Comparisons with peers
use wall-clock time, as the peers report it. On a quiet machine both times agree
(the CPU/wall column says how far they were apart). Raw JSON of each run is kept in
build-bench/results/.
"""

import argparse
import datetime
import json
import math
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build-bench")
RESULTS = os.path.join(BUILD, "results")
BENCHES = ["peak_bench", "conv2d_bench", "layers_bench", "network_bench", "mlperf_bench",
           "int8_bench"]
CORE = "1"
# Benchmarks that use several cores (a thread pool): run on every core, not pinned to one.
PARALLEL_RE = re.compile(r"[Tt]hread|[Pp]arallel|[Cc]ores")
REPETITIONS = 5
QUOTED_PEAK = {"AVX3": 240e9, "AVX2": 130e9}  # HIGHWAY-1.0.3.md, another machine
# The AVX2 pass (machines with AVX-512): the same benchmarks compiled without the AVX-512
# targets, so that dynamic dispatch runs what an AVX2-only machine runs.
AVX2_FLAGS = "-DHWY_DISABLED_TARGETS=HWY_AVX3+HWY_AVX3_DL"
AVX2_BENCHES = ["conv2d_bench", "layers_bench", "network_bench"]
PEER_SCRIPT = os.path.join(ROOT, "tools", "peers", "run_peers.py")
# The peer cases by table (tools/peers/cases.py), in the report's order.
PEER_GROUPS = [
    ("Networks and layers (float)", ["lenet5_infer_b1", "lenet5_train_b64", "cifar_infer_b1",
                                     "cifar_train_b64", "conv3x3_64x56x56_fwd",
                                     "lecture_conv_fwd"]),
    ("MLPerf Tiny models (float, batch 1, BatchNorm folded)",
     ["dscnn_infer_b1", "mobilenetv1_infer_b1", "resnet8_infer_b1", "autoencoder_infer_b1"]),
    ("int8 (TFLite's quantization scheme, batch 1)",
     ["lenet5_int8_infer_b1", "dscnn_int8_infer_b1", "mobilenetv1_int8_infer_b1",
      "resnet8_int8_infer_b1", "autoencoder_int8_infer_b1"]),
]
PEER_CASES = [case for _, cases in PEER_GROUPS for case in cases]
# Which staticnn benchmark a peer case is compared with: (binary, run_name pattern).
CASE_BENCHMARK = {
    "lenet5_infer_b1": ("network_bench", r"LeNet.*Inference.*_b1$"),
    "lenet5_train_b64": ("network_bench", r"LeNet.*Train.*_b64$"),
    "cifar_infer_b1": ("network_bench", r"Cifar.*Inference.*_b1$"),
    "cifar_train_b64": ("network_bench", r"Cifar.*Train.*_b64$"),
    "conv3x3_64x56x56_fwd": ("conv2d_bench", r"3x3.*64x56x56_Forward$"),
    "lecture_conv_fwd": ("conv2d_bench", r"Lecture.*_Forward$"),
    "dscnn_infer_b1": ("mlperf_bench", r"DsCnn_Inference_b1$"),
    "mobilenetv1_infer_b1": ("mlperf_bench", r"MobileNetV1_Inference_b1$"),
    "resnet8_infer_b1": ("mlperf_bench", r"ResNet8_Inference_b1$"),
    "autoencoder_infer_b1": ("mlperf_bench", r"AutoEncoder_Inference_b1$"),
    "lenet5_int8_infer_b1": ("int8_bench", r"LeNet5_Inference_b1$"),
    "dscnn_int8_infer_b1": ("int8_bench", r"DsCnn_Inference_b1$"),
    "mobilenetv1_int8_infer_b1": ("int8_bench", r"MobileNet\w*_Inference_b1$"),
    "resnet8_int8_infer_b1": ("int8_bench", r"ResNet8_Inference_b1$"),
    "autoencoder_int8_infer_b1": ("int8_bench", r"AutoEncoder_Inference_b1$"),
}
MLPERF_MODELS = [("DS-CNN", "dscnn_infer_b1"), ("MobileNetV1-0.25", "mobilenetv1_infer_b1"),
                 ("ResNet-8", "resnet8_infer_b1"), ("AutoEncoder", "autoencoder_infer_b1")]
MLPERF_PEERS = ("onnxruntime", "litert", "tflm")
# Engine families (name prefixes): a goal against "PyTorch" takes the fastest of them,
# variants such as pytorch_eager_refblas included.
TORCH_FAMILIES = ("pytorch", "torchscript")
ENGINE_ORDER = ["pytorch_eager", "pytorch_inference_mode", "torchscript_frozen", "onnxruntime",
                "litert_xnnpack", "tflm", "dlib"]
# The targets of issue 12 ("performance, round two"), in the order of the "targets" section.
ISSUE12_GOALS = [
    "CIFAR-style training step batch 64 >= 2x PyTorch",
    "LeNet-5 training step batch 64 >= 4x PyTorch",
    "Every convolution and Linear benchmark that is not memory-bound >= 80% of peak",
    "LeNet-5 inference batch 1 >= 70% of peak",
    "Every convolution and Linear benchmark that is not memory-bound >= 80% of peak, AVX2 code",
    "LeNet-5 inference batch 1 >= 70% of peak, AVX2 code",
    "LeNet-5 inference batch 1 >= 2x LiteRT (XNNPACK)",
    "CIFAR-style inference batch 1 faster than every peer",
    "Conv 3x3 64->64 on 56x56 forward faster than every peer",
] + ["%s inference batch 1 faster than ONNX Runtime, LiteRT and TFLM" % name
     for name, _ in MLPERF_MODELS] + [
    "CIFAR-style training step batch 64 on 2 cores >= 1.8x one core",
    "64-layer network compiles in < 60 s and < 2 GB",
]
# Goals of earlier issues, still checked.
EARLIER_GOALS = [
    "Conv 3x3 64->64 on 56x56 forward >= 80% of peak",
    "Conv 3x3 64->64 on 56x56 forward faster than PyTorch",
    "LeNet-5 inference batch 1 >= 10x faster than PyTorch eager",
    "LeNet-5 inference batch 1 >= 3x faster than dlib",
    "LeNet-5 inference batch 1 faster than ONNX Runtime",
    "LeNet-5 inference batch 1 faster than LiteRT (XNNPACK)",
    "LeNet-5 training step batch 64 >= 3x faster than PyTorch",
    "Backward within 1.5x of forward time per FLOP",
]
GOALS = ISSUE12_GOALS + EARLIER_GOALS
# Linear at batch 1 is bound by memory, not by the FMA units: each weight is loaded
# for one multiply-add. Depthwise convolutions ("Dw" in the MLPerf Tiny layer names)
# do 9 multiply-adds per input float they load, about what the FMA units and the
# caches can both sustain: each is judged against its roofline, the longer of its
# FLOPs at the FMA peak and its memory-bound twin (conv2d_bench's
# BM_MemoryBound_<benchmark>, the time to move the planes it reads and writes). The
# other convolution and Linear benchmarks are judged against 80% of the FMA peak.
MEMORY_BOUND_RE = re.compile(r"Linear\w*<1>")
ROOFLINE_RE = re.compile(r"Depthwise|Dw\d")
TWIN_PREFIX = "BM_MemoryBound_"
TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
PASS_RE = re.compile(r"^(?P<prefix>.*?)(?P<pass>Forward|Backward[A-Za-z]*)(?P<rest>.*)$")
# Layers whose FLOPs are multiply-adds: the backward/forward goal is about them
# (pooling and activations are memory-bound; their ratio is shown, not judged).
MAC_LAYER_RE = re.compile(r"Conv|ResNet|Cifar|Lecture|LeNet|Pointwise|Depthwise|DsCnn|MobileNet|"
                          r"Linear|Dense|Gemm",
                          re.IGNORECASE)


def log(*args):
    print("[benchmarks]", *args, file=sys.stderr, flush=True)


def run(cmd, timeout=None, env=None):
    log("$", " ".join(cmd))
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=ROOT)


def first_line(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        return "unavailable"


def tail(text, lines=15):
    return "\n".join(text.strip().splitlines()[-lines:])


# ---------------------------------------------------------------------------
# Build and run

def build(benches, jobs, build_dir=None, cxx_flags=None):
    """Configures build_dir (default BUILD) and builds each benchmark on its own: {name: error
    or None}."""
    build_dir = build_dir or BUILD
    status = {}
    present = [b for b in benches if os.path.exists(os.path.join(ROOT, "benchmarks", b + ".cc"))]
    for b in benches:
        if b not in present:
            status[b] = "benchmarks/%s.cc does not exist" % b
    proc = run(["cmake", "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
                "-DSTATICNN_BUILD_BENCHMARKS=ON", "-DSTATICNN_BUILD_TESTS=OFF",
                "-DSTATICNN_BUILD_EXAMPLES=OFF"] +
               (["-DCMAKE_CXX_FLAGS=" + cxx_flags] if cxx_flags else []))
    if proc.returncode != 0:
        for b in present:
            status[b] = "cmake configure failed:\n" + tail(proc.stdout + proc.stderr)
        return status
    for b in present:
        proc = run(["cmake", "--build", build_dir, "-j%d" % jobs, "--target", b])
        status[b] = None if proc.returncode == 0 else "build failed:\n" + tail(proc.stdout +
                                                                                proc.stderr, 25)
    return status


def parse_benchmark_json(data):
    """{run_name: result} from Google Benchmark JSON: medians if repeated, else the runs."""
    entries = data.get("benchmarks", [])
    aggregated = any(e.get("run_type") == "aggregate" for e in entries)
    results = {}
    for e in entries:
        if aggregated and not (e.get("run_type") == "aggregate" and
                               e.get("aggregate_name") == "median"):
            continue
        if not aggregated and e.get("run_type", "iteration") != "iteration":
            continue
        name = e.get("run_name") or e["name"]
        if e.get("error_occurred"):
            results[name] = {"name": name, "error": e.get("error_message", "error")}
            continue
        unit = TIME_UNITS[e.get("time_unit", "ns")]
        real, cpu = e["real_time"] * unit, e["cpu_time"] * unit
        r = {"name": name, "real": real, "cpu": cpu, "label": e.get("label", ""),
             "counters": {}}
        for key, value in e.items():
            if key not in ("real_time", "cpu_time", "iterations", "repetitions", "threads",
                           "family_index", "per_family_instance_index",
                           "repetition_index") and isinstance(value, (int, float)):
                r["counters"][key] = value
        if "FLOPS" in r["counters"]:
            # A rate per CPU second. The median rate and the median CPU time come
            # from the same repetition (odd count): their product is the FLOPs.
            r["gflops"] = r["counters"]["FLOPS"] * 1e-9
            r["flops_per_iter"] = r["counters"]["FLOPS"] * cpu
        results[name] = r
    return results


def parallel_benchmarks(name):
    """The benchmarks of a binary that use several cores (names matching PARALLEL_RE)."""
    exe = os.path.join(BUILD, "benchmarks", name)
    listed = run([exe, "--benchmark_list_tests=true"]).stdout.split()
    return [b for b in listed if PARALLEL_RE.search(b)]


def run_benchmark(name, quick, env, parallel=False, build_dir=None, tag=""):
    """Runs a benchmark binary of build_dir (default BUILD): pinned to CORE, without its
    multi-core benchmarks; with parallel=True, only those, on every core. (data, parsed
    results, error)."""
    exe = os.path.join(build_dir or BUILD, "benchmarks", name)
    filter_re = PARALLEL_RE.pattern
    cmd = ["taskset", "-c", "0-%d" % (os.cpu_count() - 1) if parallel else CORE, exe,
           "--benchmark_format=json",
           "--benchmark_filter=%s(%s)" % ("" if parallel else "-", filter_re)]
    if quick:
        cmd.append("--benchmark_min_time=0.01")
    else:
        cmd += ["--benchmark_repetitions=%d" % REPETITIONS,
                "--benchmark_report_aggregates_only=true"]
    try:
        proc = run(cmd, timeout=3600, env=env)
    except subprocess.TimeoutExpired:
        return None, None, "timed out after an hour"
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, name + ("_parallel" if parallel else "") + tag + ".json"),
              "w") as f:
        f.write(proc.stdout)
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        data = None
    if proc.returncode != 0 or data is None:
        why = "exit status %d" % proc.returncode if proc.returncode != 0 else "no JSON output"
        return data, None, "%s:\n%s" % (why, tail(proc.stderr))
    return data, parse_benchmark_json(data), None


def run_compile_time():
    script = os.path.join(ROOT, "tools", "compile_time.py")
    try:
        proc = run([sys.executable, script, "--out-dir", os.path.join(BUILD, "compile_time")],
                   timeout=1800)
    except subprocess.TimeoutExpired:
        return None, "timed out"
    if proc.returncode != 0:
        return None, "exit status %d:\n%s" % (proc.returncode, tail(proc.stderr))
    try:
        return json.loads(proc.stdout), None
    except json.JSONDecodeError as e:
        return None, "bad JSON: %s" % e


def run_peers(saved=None):
    """(list of peer results, note): never raises; the note says what went wrong.

    `saved`: a file with the JSON of an earlier run to use instead of running."""
    if saved:
        try:
            with open(saved) as f:
                stdout, stderr, status = f.read(), "", 0
        except OSError as e:
            return [], "peer results could not be read from %s: %s" % (saved, e)
    elif not os.path.exists(PEER_SCRIPT):
        return [], "tools/peers/run_peers.py does not exist (yet): no peer was measured."
    else:
        env = dict(os.environ)
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env.setdefault(var, "1")
        try:
            proc = run(["taskset", "-c", CORE, sys.executable, PEER_SCRIPT], timeout=3600,
                       env=env)
        except subprocess.TimeoutExpired:
            return [], "tools/peers/run_peers.py timed out after an hour."
        stdout, stderr, status = proc.stdout, proc.stderr, proc.returncode
        os.makedirs(RESULTS, exist_ok=True)
        with open(os.path.join(RESULTS, "peers.json"), "w") as f:
            f.write(stdout)
        with open(os.path.join(RESULTS, "peers.stderr.txt"), "w") as f:
            f.write(stderr)
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, list):
        what = "not JSON" if data is None else "not a JSON list"
        if saved:
            return [], "the peer results in %s are %s." % (saved, what)
        return [], "tools/peers/run_peers.py failed (exit status %d, stdout %s)%s" % (
            status, what, "; stderr ends with:\n" + tail(stderr, 8) if stderr.strip() else ".")
    peers, bad, failed = [], 0, []
    for item in data:
        # An engine that ran and failed says why in its note, with no time.
        if (isinstance(item, dict) and item.get("median_seconds") is None and
                item.get("case") and item.get("engine") and item.get("note")):
            failed.append("%s / %s (%s)" % (item["case"], item["engine"], item["note"]))
            continue
        try:
            seconds = float(item["median_seconds"])
            if not (seconds > 0 and math.isfinite(seconds)):
                raise ValueError
            cpu = item.get("median_cpu_seconds")
            peers.append({"case": str(item["case"]), "engine": str(item["engine"]),
                          "seconds": seconds, "note": str(item.get("note", "")),
                          "cpu": float(cpu) if cpu else None})
        except (KeyError, TypeError, ValueError):
            bad += 1
    note = "Peer results reused from %s." % saved if saved else None
    if status != 0:
        note = "tools/peers/run_peers.py exited with status %d (its output was used)." % status
    if failed:
        note = (note + " " if note else "") + "Failed, so left blank: %s." % "; ".join(failed)
    if bad:
        note = (note + " " if note else "") + "%d malformed peer entries were ignored." % bad
    return peers, note


# ---------------------------------------------------------------------------
# Machine

def machine_info():
    info = {"model": "unknown", "cpus": "?", "flags": [], "hypervisor": ""}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        out = ""
    fields = {}
    for line in out.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    info["model"] = fields.get("Model name", "unknown")
    info["cpus"] = fields.get("CPU(s)", "?")
    info["cores"] = fields.get("Core(s) per socket", "?")
    info["threads_per_core"] = fields.get("Thread(s) per core", "?")
    info["hypervisor"] = fields.get("Hypervisor vendor", "")
    info["caches"] = ", ".join("%s %s" % (k.split()[0], fields[k]) for k in
                               ("L1d cache", "L2 cache", "L3 cache") if k in fields)
    flags = set(fields.get("Flags", "").split())
    interesting = ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512dq", "avx512cd",
                   "avx512bw", "avx512vl", "avx512ifma", "avx512vbmi", "avx512_vbmi2",
                   "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "aes", "pclmulqdq",
                   "vaes", "vpclmulqdq", "gfni"]
    info["flags"] = [f for f in interesting if f in flags]
    try:
        with open("/proc/loadavg") as f:
            info["load"] = " ".join(f.read().split()[:3])
    except OSError:
        info["load"] = "?"
    return info


def package_version(name):
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}\\n", name], capture_output=True,
                         text=True)  # one line per installed architecture
    return (out.stdout.split() or ["unknown"])[0]


def cmake_compiler():
    try:
        with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_CXX_COMPILER:"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return "c++"


# ---------------------------------------------------------------------------
# Formatting

def fmt_time(seconds):
    if seconds is None:
        return "n/a"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return "%.3g %s" % (seconds / scale, unit) if seconds / scale < 100 else \
                "%.0f %s" % (seconds / scale, unit)
    return "%.3g ns" % (seconds / 1e-9)


def fmt(value, digits=1, suffix=""):
    return "n/a" if value is None else ("%.*f%s" % (digits, value, suffix))


def table(header, rows, numbers=True):
    """A Markdown table; numbers: right-align every column but the first."""
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i == 0 or not numbers else "--:"
                            for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def busy(r):
    """CPU / wall time: 1.0 when the core was ours for the whole run."""
    return "%.2f" % (r["cpu"] / r["real"]) if r.get("real") else "n/a"


def split_twins(results):
    """(the benchmarks, their memory-bound twins by the name of the benchmark)."""
    if not results:
        return results, {}
    twins = {"BM_" + n.removeprefix(TWIN_PREFIX): r for n, r in results.items()
             if n.startswith(TWIN_PREFIX)}
    return {n: r for n, r in results.items() if not n.startswith(TWIN_PREFIX)}, twins


def roofline_share(r, twin, peak):
    """The fraction of its roofline a benchmark reaches: max(its FLOPs at the peak, its
    twin's CPU time) / its CPU time; None without a twin."""
    if not twin or "error" in twin or "error" in r or not r.get("flops_per_iter"):
        return None
    return max(r["flops_per_iter"] / peak, twin["cpu"]) / r["cpu"]


def roofline_section(rep, results, twins, peak, level="###"):
    """The depthwise benchmarks against their rooflines (conv2d_bench's twins)."""
    rows = []
    for name, r in (results or {}).items():
        twin = twins.get(name)
        share = roofline_share(r, twin, peak)
        if share is None:
            continue
        gbs = r["counters"].get("bytes_per_second", 0) * 1e-9
        rows.append([name, fmt_time(r["cpu"]), fmt(r["gflops"]),
                     fmt(r["gflops"] * 1e9 / peak * 100, 1, "%"), fmt(gbs),
                     fmt_time(twin["cpu"]), fmt(twin["counters"].get("bytes_per_second", 0) * 1e-9),
                     fmt_time(max(r["flops_per_iter"] / peak, twin["cpu"])),
                     fmt(100 * share, 1, "%")])
    if not rows:
        return
    rep.add("%s Depthwise against its roofline\n" % level)
    rep.add("A depthwise 3x3 layer does 9 multiply-adds per float it must read and one float "
            "to write: 2.25 FLOP per byte, about the ratio of this machine's FMA peak to its "
            "cache bandwidth. Each pass is timed against its memory-bound twin "
            "(`%s<benchmark>`: the planes it must read and write, moved in whole vectors with "
            "one add each, over buffers of the same sizes) and against its FLOPs at the FMA "
            "peak; the roofline time is the longer of the two, and \"%% of roofline\" is that "
            "time over the pass's. GB/s count those planes per CPU second.\n" % TWIN_PREFIX)
    rep.add(table(["benchmark", "CPU time", "GFLOP/s", "% of FMA peak", "GB/s",
                   "memory-bound twin", "twin GB/s", "roofline time", "% of roofline"], rows))
    rep.add()


def find(results, pattern):
    for name, r in (results or {}).items():
        if re.search(pattern, name) and "error" not in r:
            return r
    return None


# ---------------------------------------------------------------------------
# The report

class Report:
    def __init__(self):
        self.out = []
        self.targets = []  # (goal, reached: True/False/None, detail)

    def add(self, text=""):
        self.out.append(text)

    def goal(self, name, reached, detail):
        assert name in GOALS, name
        self.targets.append((name, reached, detail))

    def text(self):
        return "\n".join(self.out) + "\n"


def peak_section(rep, peak_results, peak_error):
    """Writes the peak table; returns (peak FLOP/s, how it was obtained)."""
    rep.add("## Single-core fp32 FMA peak (peak_bench)\n")
    if peak_error or not peak_results:
        rep.add("peak_bench did not run: %s\n" % (peak_error or "no results"))
        return QUOTED_PEAK["AVX3"], "quoted AVX3 peak 240 GFLOP/s (peak_bench did not run)"
    rows, peak, source = [], None, None
    for name, r in peak_results.items():
        if "error" in r:
            rows.append([name, r["error"], "", "", ""])
            continue
        target = name.split("/")[-1]
        quoted = QUOTED_PEAK.get(target)
        rows.append([name, fmt(r["gflops"]), fmt(r["flops_per_iter"] / r["real"] * 1e-9),
                     fmt(quoted * 1e-9, 0) if quoted else "", busy(r)])
    rep.add(table(["benchmark", "GFLOP/s", "GFLOP/s per wall second",
                   "quoted in HIGHWAY-1.0.3.md", "CPU/wall"], rows))
    rep.add()
    avx3 = peak_results.get("BM_FmaPeak/AVX3")
    if avx3 and "error" not in avx3:
        peak, source = avx3["gflops"] * 1e9, "measured AVX3 peak"
    else:
        best = next((r for r in peak_results.values() if "error" not in r), None)
        if best:
            peak, source = best["gflops"] * 1e9, "measured %s peak (no AVX3 here)" % best["name"]
    if peak is None:
        return QUOTED_PEAK["AVX3"], "quoted AVX3 peak 240 GFLOP/s (peak_bench failed)"
    text = ("12 independent register-resident MulAdd chains per target; 2 FLOP per lane per FMA. "
            "**Every \"%% of peak\" below is against the %s, %.1f GFLOP/s.**" %
            (source, peak * 1e-9))
    avx2 = peak_results.get("BM_FmaPeak/AVX2")
    if avx3 and "error" not in avx3 and peak < 0.7 * QUOTED_PEAK["AVX3"]:
        text += (" That is well below the 240 GFLOP/s quoted in HIGHWAY-1.0.3.md, which was "
                 "measured on another machine")
        if avx2 and "error" not in avx2 and avx3["gflops"] < 1.2 * avx2["gflops"]:
            text += (": here a 512-bit FMA runs at the rate of two 256-bit ones, so AVX3 and AVX2 "
                     "share one peak (as on AMD Zen 4, whose AVX-512 units are 256 bits wide)")
        text += "."
    rep.add(text + "\n")
    return peak, source


def layer_section(rep, all_results, errors, peak, title="## Layers (conv2d_bench, layers_bench)",
                  level="###"):
    rep.add(title + "\n")
    for bench in ("conv2d_bench", "layers_bench"):
        results = all_results.get(bench)
        rep.add("%s %s\n" % (level, bench))
        if errors.get(bench):
            rep.add("Not measured: %s\n" % errors[bench].replace("\n", "\n    "))
            if not results:
                continue
        if bench == "conv2d_bench" and level == "###":
            rep.add("FLOPs are those of direct convolution (2 x MACs). 3x3 stride-1 layers with "
                    ">= 16 input and output channels and >= 16x16 outputs run Winograd F(2x2,3x3) "
                    "(4 multiplies where direct convolution does 9) in the forward and "
                    "input-gradient passes, so their GFLOP/s are effective rates and may exceed "
                    "the peak.\n")
        rows = []
        for name, r in (results or {}).items():
            if "error" in r:
                rows.append([name, "", "error: " + r["error"], "", "", "", ""])
                continue
            g = r.get("gflops")
            rows.append([name, r["label"], fmt_time(r["real"]), fmt_time(r["cpu"]), fmt(g),
                         fmt(g * 1e9 / peak * 100 if g else None, 1, "%"), busy(r)])
        rep.add(table(["benchmark", "target", "wall time", "CPU time", "GFLOP/s", "% of peak",
                       "CPU/wall"], rows))
        rep.add()


def backward_section(rep, all_results):
    """Backward vs forward time per FLOP, for every layer with both passes."""
    goal = "Backward within 1.5x of forward time per FLOP"
    rep.add("## Backward vs forward, time per FLOP\n")
    rep.add("Backward = all backward passes of a layer together (input gradient + parameter "
            "gradient); ratio = (backward CPU time / backward FLOP) / (forward CPU time / forward "
            "FLOP). Goal: <= 1.5 for layers made of multiply-adds (convolutions, Linear); "
            "pooling and activations are memory-bound and shown for information.\n")
    rows, failures, checked = [], [], 0
    for bench in ("conv2d_bench", "layers_bench"):
        groups = {}
        for name, r in (all_results.get(bench) or {}).items():
            m = PASS_RE.match(name)
            if m and "error" not in r:
                key = (m["prefix"].rstrip("_/"), m["rest"])
                groups.setdefault(key, {})[m["pass"]] = r
        for (prefix, rest), passes in groups.items():
            fwd = passes.get("Forward")
            bwd = {p: r for p, r in passes.items() if p.startswith("Backward")}
            if not fwd or not bwd:
                continue
            layer = (prefix + rest).removeprefix("BM_")
            judged = bool(MAC_LAYER_RE.search(layer))
            per_pass = ", ".join("%s %s (%s GFLOP/s)" % (
                p.removeprefix("Backward") or "backward", fmt_time(r["cpu"]), fmt(r.get("gflops")))
                for p, r in sorted(bwd.items()))
            bwd_time = sum(r["cpu"] for r in bwd.values())
            if "flops_per_iter" in fwd and all("flops_per_iter" in r for r in bwd.values()):
                bwd_flops = sum(r["flops_per_iter"] for r in bwd.values())
                ratio = (bwd_time / bwd_flops) / (fwd["cpu"] / fwd["flops_per_iter"])
                ratio_text = "%.2f" % ratio
            else:
                ratio = bwd_time / fwd["cpu"]
                ratio_text = "%.2f (time only: no FLOP counter)" % ratio
            ok = ratio <= 1.5
            if judged:
                checked += 1
                if not ok:
                    slowest = min(bwd.values(), key=lambda r: r.get("gflops") or 0)
                    failures.append(
                        "%s %.2fx (slowest pass %s at %s GFLOP/s, forward %s GFLOP/s)" % (
                            layer, ratio, slowest["name"].removeprefix("BM_"),
                            fmt(slowest.get("gflops")), fmt(fwd.get("gflops"))))
            verdict = ("yes" if ok else "**no**") if judged else ("(yes)" if ok else "(no)")
            rows.append([layer, "%s (%s GFLOP/s)" % (fmt_time(fwd["cpu"]), fmt(fwd.get("gflops"))),
                         per_pass, ratio_text, verdict])
    if rows:
        rep.add(table(["layer", "forward", "backward passes", "ratio", "<= 1.5"], rows))
    else:
        rep.add("No layer benchmark with both a forward and a backward pass was measured.")
    rep.add()
    if checked == 0:
        rep.goal(goal, None, "no convolution or Linear benchmark with both passes was measured")
    elif failures:
        rep.goal(goal, False, "%d of %d layers exceed 1.5x: %s" % (
            len(failures), checked, "; ".join(failures)))
    else:
        rep.goal(goal, True, "all %d convolution/Linear layers measured are within 1.5x (worst "
                 "shown in the table)" % checked)


def network_section(rep, title, results, error, peak, intro, level="##"):
    rep.add("%s %s\n" % (level, title))
    if error:
        rep.add("Not measured: %s\n" % error.replace("\n", "\n    "))
    if not results:
        return
    rep.add(intro + "\n")
    rows = []
    for name, r in results.items():
        if "error" in r:
            rows.append([name, "", "error: " + r["error"], "", "", "", "", "", ""])
            continue
        batch = re.search(r"_b(\d+)(?![0-9])", name)
        batch = int(batch[1]) if batch else 1
        g = r.get("gflops")
        rows.append([name, r["label"], fmt_time(r["real"]), fmt_time(r["cpu"]),
                     fmt_time(r["real"] / batch), fmt(g),
                     fmt(g * 1e9 / peak * 100 if g else None, 1, "%"),
                     fmt(r["counters"].get("workspace_MiB"), 2), busy(r)])
    rep.add(table(["benchmark", "target", "wall time / iteration", "CPU time / iteration",
                   "wall time / sample", "GFLOP/s", "% of peak", "workspace MiB", "CPU/wall"],
                  rows))
    rep.add()


def avx2_section(rep, results, errors, peak, missing, build_dir):
    rep.add("## AVX2 code on this machine (AVX-512 disabled)\n")
    if missing and not any(results.values()):
        rep.add("Not measured: %s.\n" % missing)
        for bench, error in errors.items():
            if error:
                rep.add("- %s: %s" % (bench, error.replace("\n", "\n    ")))
        rep.add()
        return
    rep.add("%s built again with `-DCMAKE_CXX_FLAGS=%s` (%s), so that dynamic dispatch runs "
            "the AVX2 code and register tiles (16 vector registers of 256 bits) that an "
            "AVX2-only machine runs; pinned and repeated as above. **\"%% of peak\" in this "
            "section is against the AVX2 peak of the same peak_bench run, %.1f GFLOP/s.** Peers "
            "are not run again: they use AVX-512 here, so a ratio would not be an AVX2 "
            "machine's.\n" % (", ".join(AVX2_BENCHES), AVX2_FLAGS,
                               os.path.relpath(build_dir, ROOT), peak * 1e-9))
    layer_section(rep, results, errors, peak, "### Layers, AVX2 code", "####")
    roofline_section(rep, results.get("conv2d_bench"), results.get("conv2d_bench_twins") or {},
                     peak, "####")
    network_section(rep, "Networks, AVX2 code (network_bench)", results.get("network_bench"),
                    errors.get("network_bench"), peak, "As above, AVX2 code.", "###")


def engine_order(engines):
    """Engines in ENGINE_ORDER first (variants right after their family), then the rest."""
    def key(e):
        family = next((i for i, f in enumerate(ENGINE_ORDER) if e.startswith(f)),
                      len(ENGINE_ORDER))
        return (family, e not in ENGINE_ORDER, e)
    return sorted(engines, key=key)


def peers_section(rep, ours, peers, note, quick):
    rep.add("## Peers\n")
    if quick and not peers and not note:
        rep.add("Skipped (--quick).\n")
        return
    if note:
        rep.add("**%s**\n" % note.replace("\n", "\n    "))
    if not peers:
        return
    rep.add("Medians of wall-clock time per iteration, each peer as `time (ratio)` with ratio = "
            "peer time / staticnn wall time (> 1: staticnn is faster). The peer script runs pinned "
            "to the same core (taskset -c %s; OMP/MKL/OpenBLAS threads 1 unless it sets them "
            "itself). staticnn's wall time is inflated when its CPU/wall is below 1 (the core was "
            "shared), which makes these ratios conservative; the peers may have been disturbed "
            "too. Where the peer reports its CPU time too (the Python engines: one thread), the "
            "cell is `time (wall ratio / CPU ratio)`, the second ratio = peer CPU time / "
            "staticnn CPU time, what the two would take alone on the core. `_refblas` variants use Debian's reference BLAS. `tflm` is the TFLM interpreter "
            "(tflite-micro's Python wheel: TFLM's portable reference kernels, as on a "
            "microcontroller without CMSIS-NN) on the .tflite that LiteRT runs.\n" % CORE)
    by_case = {}
    for p in peers:
        by_case.setdefault(p["case"], {})[p["engine"]] = p
    others = sorted(set(by_case) - set(PEER_CASES))
    for title, cases in PEER_GROUPS + ([("Other cases", others)] if others else []):
        engines = engine_order({e for case in cases for e in by_case.get(case, {})})
        rows = []
        for case in cases:
            mine = ours.get(case)
            row = [case, "%s (CPU/wall %s)" % (fmt_time(mine["real"]), busy(mine)) if mine
                   else "n/a"]
            for engine in engines:
                p = by_case.get(case, {}).get(engine)
                if p is None:
                    row.append("")
                else:
                    ratio = fmt(p["seconds"] / mine["real"], 2, "x") if mine else "n/a"
                    if mine and p["cpu"]:
                        ratio += " / " + fmt(p["cpu"] / mine["cpu"], 2, "x")
                    row.append("%s (%s)" % (fmt_time(p["seconds"]), ratio))
            rows.append(row)
        rep.add("### %s\n" % title)
        rep.add(table(["case", "staticnn"] + engines, rows))
        rep.add()
    rep.add("<details><summary>What each peer measured (the peer script's notes)</summary>\n")
    for case in PEER_CASES + others:
        for engine in engine_order(by_case.get(case, {})):
            p = by_case[case][engine]
            if p["note"]:
                rep.add("- %s / %s: %s" % (case, engine, p["note"]))
    rep.add("\n</details>\n")


def compile_section(rep, compile_data, error, quick):
    rep.add("## Compile time, compiler memory, object size\n")
    if quick:
        rep.add("Skipped (--quick).\n")
        rep.goal("64-layer network compiles in < 60 s and < 2 GB", None, "skipped by --quick")
        return
    if error or not compile_data:
        rep.add("Not measured: %s\n" % (error or "no data").replace("\n", "\n    "))
        rep.goal("64-layer network compiles in < 60 s and < 2 GB", None,
                 "compile_time.py did not run: %s" % (error or "no data").splitlines()[0])
        return
    rep.add("`tools/compile_time.py`: %s, `%s`; each network TU instantiates inference forward "
            "and a training step (forward, loss, backward, SGD) for the static target via "
            "`staticnn/passes.hpp`; layers are 3x3 Conv2d (pad 1) + ReLU pairs with a MaxPool2d "
            "now and then, then Flatten + Linear, on 3x32x32. Memory = peak RSS of the compiler "
            "(GNU time %%M). Object size = `size` text + data of the .o.\n"
            % (compile_data["compiler"], " ".join(compile_data["flags"])))
    rows = []
    for c in compile_data["cases"]:
        rows.append([c["case"], c["layers"], "%.2f" % c["seconds"], "%.0f" % c["peak_rss_mib"],
                     c["text"], c["data"], c["text_plus_data"]])
    rep.add(table(["case", "layers", "wall s", "peak MiB", "text B", "data B", "text+data B"],
                  rows))
    rep.add()
    net64 = next((c for c in compile_data["cases"] if c["case"] == "net_64"), None)
    if net64:
        ok = net64["seconds"] < 60 and net64["peak_rss_mib"] < 2048
        rep.goal("64-layer network compiles in < 60 s and < 2 GB", ok,
                 "%.1f s, %.0f MiB" % (net64["seconds"], net64["peak_rss_mib"]))


def cpu_ratio(mine, peer):
    """Peer CPU time / staticnn CPU time: what each would take alone on the core (None
    if the peer did not report its CPU time)."""
    return peer["cpu"] / mine["cpu"] if peer["cpu"] else None


def judged_ratio(mine, peer):
    """The ratio a goal is judged by: of CPU times where the peer reports its own (what
    each takes alone on the core; equal to the wall ratio on a quiet machine, robust to
    a shared one), else of wall times."""
    return cpu_ratio(mine, peer) or peer["seconds"] / mine["real"]


def ratio_to(mine, peer):
    """'engine time vs staticnn time: ratio', with the ratio of CPU times added when the
    core was visibly shared while either was measured (CPU/wall < 0.9)."""
    text = "%s %s vs staticnn %s: %.2fx" % (peer["engine"], fmt_time(peer["seconds"]),
                                            fmt_time(mine["real"]), peer["seconds"] / mine["real"])
    shared = mine["cpu"] < 0.9 * mine["real"] or (peer["cpu"] or 0) < 0.9 * peer["seconds"]
    if shared and cpu_ratio(mine, peer):
        text += " (CPU times %s vs %s: %.2fx)" % (fmt_time(peer["cpu"]), fmt_time(mine["cpu"]),
                                                 cpu_ratio(mine, peer))
    return text


def peer_goals(rep, ours, peers, why_no_peers):
    def fastest(case, families):
        """The peer with the lowest ratio to staticnn as goals judge it (by time if
        staticnn's case was not measured)."""
        mine = ours.get(case)
        found = [p for p in peers if p["case"] == case and
                 (families is None or p["engine"].startswith(families))]
        return min(found, key=lambda p: judged_ratio(mine, p) if mine else p["seconds"],
                   default=None)

    def against(goal, case, families, factor, what):
        """families: engine name prefixes (None: every engine); what: their description."""
        mine, peer = ours.get(case), fastest(case, families)
        if not peers:
            rep.goal(goal, None, why_no_peers)
        elif mine is None:
            rep.goal(goal, None, "staticnn's benchmark for %s was not measured" % case)
        elif peer is None:
            rep.goal(goal, None, "no %s result for %s" % (what, case))
        else:
            ratio, ratio_cpu = peer["seconds"] / mine["real"], cpu_ratio(mine, peer)
            detail = "fastest %s: %s (need >= %gx)" % (what, ratio_to(mine, peer), factor)
            if ratio_cpu and (ratio >= factor) != (ratio_cpu >= factor):
                detail += "; judged by CPU times, wall times disagree: regenerate quiet"
            rep.goal(goal, judged_ratio(mine, peer) >= factor, detail)

    against("CIFAR-style training step batch 64 >= 2x PyTorch", "cifar_train_b64",
            TORCH_FAMILIES, 2.0, "PyTorch")
    against("LeNet-5 training step batch 64 >= 4x PyTorch", "lenet5_train_b64", TORCH_FAMILIES,
            4.0, "PyTorch")
    against("LeNet-5 inference batch 1 >= 2x LiteRT (XNNPACK)", "lenet5_infer_b1", ("litert",),
            2.0, "LiteRT")
    against("CIFAR-style inference batch 1 faster than every peer", "cifar_infer_b1", None, 1.0,
            "peer")
    against("Conv 3x3 64->64 on 56x56 forward faster than every peer", "conv3x3_64x56x56_fwd",
            None, 1.0, "peer")
    for name, case in MLPERF_MODELS:
        goal = "%s inference batch 1 faster than ONNX Runtime, LiteRT and TFLM" % name
        mine = ours.get(case)
        found = [fastest(case, (family,)) for family in MLPERF_PEERS]
        if not peers:
            rep.goal(goal, None, why_no_peers)
        elif mine is None:
            rep.goal(goal, None, "mlperf_bench's %s was not measured" % name)
        elif None in found:
            rep.goal(goal, None, "missing peer results: %s" % ", ".join(
                f for f, p in zip(MLPERF_PEERS, found) if p is None))
        else:
            rep.goal(goal, all(judged_ratio(mine, p) >= 1 for p in found),
                     "; ".join(ratio_to(mine, p) for p in found))
    # Goals of earlier issues.
    against("Conv 3x3 64->64 on 56x56 forward faster than PyTorch", "conv3x3_64x56x56_fwd",
            TORCH_FAMILIES, 1.0, "PyTorch")
    against("LeNet-5 inference batch 1 >= 10x faster than PyTorch eager", "lenet5_infer_b1",
            ("pytorch_eager",), 10.0, "PyTorch eager")
    against("LeNet-5 inference batch 1 >= 3x faster than dlib", "lenet5_infer_b1", ("dlib",), 3.0,
            "dlib")
    against("LeNet-5 inference batch 1 faster than ONNX Runtime", "lenet5_infer_b1",
            ("onnxruntime",), 1.0, "ONNX Runtime")
    against("LeNet-5 inference batch 1 faster than LiteRT (XNNPACK)", "lenet5_infer_b1",
            ("litert",), 1.0, "LiteRT")
    against("LeNet-5 training step batch 64 >= 3x faster than PyTorch", "lenet5_train_b64",
            TORCH_FAMILIES, 3.0, "PyTorch")


def peak_goals(rep, results, peak, suffix="", missing=None):
    """The goals judged against the FMA peak measured in the same run (suffix: the AVX2
    code's goals, against the AVX2 peak; missing: why they were not measured)."""
    def share(r):
        return r["gflops"] * 1e9 / peak

    goal = "Every convolution and Linear benchmark that is not memory-bound >= 80% of peak" + suffix
    if missing:
        rep.goal(goal, None, missing)
        rep.goal("LeNet-5 inference batch 1 >= 70% of peak" + suffix, None, missing)
        return
    twins = results.get("conv2d_bench_twins") or {}

    def judged_share(r):  # depthwise: of its roofline
        roofline = roofline_share(r, twins.get(r["name"]), peak)
        return roofline if ROOFLINE_RE.search(r["name"]) and roofline is not None else share(r)

    judged = [r for bench in ("conv2d_bench", "layers_bench")
              for name, r in (results.get(bench) or {}).items()
              if MAC_LAYER_RE.search(name) and not MEMORY_BOUND_RE.search(name) and
              r.get("gflops")]
    below = sorted((r for r in judged if judged_share(r) < 0.8), key=judged_share)
    if not judged:
        rep.goal(goal, None, "conv2d_bench and layers_bench were not measured")
    else:
        rep.goal(goal, not below, "%d of %d below 80%%%s (depthwise: %% of its roofline, see "
                 "\"Depthwise against its roofline\"; batch-1 Linear is memory-bound, not "
                 "judged)" % (len(below), len(judged), ": " + ", ".join(
                     "%s %.0f%%%s" % (r["name"].removeprefix("BM_"), 100 * judged_share(r),
                                      " of roofline" if ROOFLINE_RE.search(r["name"]) and
                                      twins.get(r["name"]) else "")
                     for r in below) if below else ""))
    lenet = find(results.get("network_bench"), CASE_BENCHMARK["lenet5_infer_b1"][1])
    goal = "LeNet-5 inference batch 1 >= 70% of peak" + suffix
    if lenet and lenet.get("gflops"):
        rep.goal(goal, share(lenet) >= 0.7, "%.1f GFLOP/s = %.1f%% of %.1f GFLOP/s" % (
            lenet["gflops"], 100 * share(lenet), peak * 1e-9))
    else:
        rep.goal(goal, None, "network_bench's LeNet-5 inference was not measured")
    if suffix:
        return
    conv = find(results.get("conv2d_bench"), CASE_BENCHMARK["conv3x3_64x56x56_fwd"][1])
    goal = "Conv 3x3 64->64 on 56x56 forward >= 80% of peak"
    if conv and conv.get("gflops"):
        rep.goal(goal, share(conv) >= 0.8, "%.1f GFLOP/s = %.1f%% of %.1f GFLOP/s" % (
            conv["gflops"], 100 * share(conv), peak * 1e-9))
    else:
        rep.goal(goal, None, "conv2d_bench's ResNet 3x3 forward was not measured")


def threads(name):
    """The thread count of a benchmark named .../threads:N (1 if it says none)."""
    m = re.search(r"threads:(\d+)", name)
    return int(m[1]) if m else 1


def parallel_goal(rep, results):
    """CIFAR-style training step on every core vs the single-core benchmark (wall time, as a
    user sees it), taking the run with the most threads."""
    goal = "CIFAR-style training step batch 64 on 2 cores >= 1.8x one core"
    one = find(results.get("network_bench"), CASE_BENCHMARK["cifar_train_b64"][1])
    runs = [r for name, r in (results.get("network_bench_parallel") or {}).items()
            if re.search(r"Cifar.*Train", name) and "error" not in r]
    if one is None or not runs:
        rep.goal(goal, None, "no %s benchmark was measured" % (
            "single-core CIFAR-style training step" if one is None else
            "multi-core CIFAR-style training step (a network_bench name matching %s)" %
            PARALLEL_RE.pattern))
        return
    multi = max(runs, key=lambda r: threads(r["name"]))
    pool_of_one = next((r for r in runs if threads(r["name"]) == 1 and r is not multi), None)
    speedup = one["real"] / multi["real"]
    detail = "%s %s vs %s on one core: %.2fx" % (multi["name"], fmt_time(multi["real"]),
                                                 fmt_time(one["real"]), speedup)
    if pool_of_one:
        detail += " (%.2fx over the pool with one thread, %s)" % (
            pool_of_one["real"] / multi["real"], fmt_time(pool_of_one["real"]))
    rep.goal(goal, speedup >= 1.8, detail + "; wall times: the second core must be free of "
             "other work for this to mean anything (see the load average)")


def write_targets(rep):
    rep.add("## Targets reached / not reached\n")
    rep.add("Computed from the medians above: % of peak from CPU time; ratios to peers "
            "judged by CPU times where the peer reports its own (the Python engines; on a quiet "
            "core CPU and wall time agree, on a shared one the CPU times say what each takes "
            "alone), else by wall times; wall times are shown first, the CPU times where the "
            "core was visibly shared; the 2-core speedup from wall time. A goal against an engine takes the fastest variant measured "
            "(\"PyTorch\": any pytorch_* or torchscript_* engine; \"every peer\": every engine "
            "measured on the case).\n")
    mark = {True: "yes", False: "**no**", None: "not measured"}
    for title, goals in (("Issue 12 (performance, round two)", ISSUE12_GOALS),
                         ("Earlier goals", EARLIER_GOALS)):
        rep.add("### %s\n" % title)
        rep.add(table(["target", "reached", "measured"],
                      [(name, mark[reached], detail) for name, reached, detail in
                       sorted((t for t in rep.targets if t[0] in goals),
                              key=lambda t: GOALS.index(t[0]))], numbers=False))
        rep.add()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: tiny min time, no repetitions, no peers, no compile time")
    parser.add_argument("--no-build", action="store_true", help="use the binaries as they are")
    parser.add_argument("--output", help="report file (default: BENCHMARKS.md in the repository "
                        "root; build-bench/BENCHMARKS.quick.md with --quick)")
    parser.add_argument("--peers-from", metavar="JSON",
                        help="use the peer results of an earlier run (e.g. "
                        "build-bench/results/peers.json) instead of running the peer script")
    parser.add_argument("--build-dir", help="the build directory (default: build-bench)")
    parser.add_argument("--avx2-build-dir", help="the build directory of the AVX2 pass (default: "
                        "the build directory + '-avx2'; with --no-build it must have been "
                        "configured with -DCMAKE_CXX_FLAGS=%s)" % AVX2_FLAGS)
    parser.add_argument("--note", help="a sentence for the top of the report (e.g. what else "
                        "ran on the machine)")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args()
    global BUILD, RESULTS
    if args.build_dir:
        BUILD = os.path.abspath(args.build_dir)
        RESULTS = os.path.join(BUILD, "results")
    output = args.output or (os.path.join(BUILD, "BENCHMARKS.quick.md") if args.quick
                             else os.path.join(ROOT, "BENCHMARKS.md"))
    started = datetime.datetime.now(datetime.timezone.utc)
    machine = machine_info()
    if shutil.which("taskset") is None:
        sys.exit("taskset is missing (util-linux)")

    errors = {}
    if args.no_build:
        errors = {b: None if os.path.exists(os.path.join(BUILD, "benchmarks", b)) else
                  "not built" for b in BENCHES}
    else:
        errors = build(BENCHES, args.jobs)

    raw, results = {}, {}
    loads = [machine["load"]]  # the load average after each step, for the report
    env = dict(os.environ)
    for bench in BENCHES:  # peak_bench first: the others are measured against it
        if errors.get(bench):
            log(bench, "skipped:", errors[bench].splitlines()[0])
            continue
        data, parsed, err = run_benchmark(bench, args.quick, env)
        parsed, twins = split_twins(parsed)
        if twins:
            results[bench + "_twins"] = twins
        raw[bench], results[bench], errors[bench] = data, parsed, err
        avx3 = (parsed or {}).get("BM_FmaPeak/AVX3")
        if bench == "peak_bench" and avx3 and "error" not in avx3:
            env["STATICNN_PEAK_FLOPS"] = "%.6g" % (avx3["counters"]["FLOPS"])
        if not err and parallel_benchmarks(bench):
            parallel = bench + "_parallel"
            raw[parallel], results[parallel], errors[parallel] = run_benchmark(
                bench, args.quick, env, parallel=True)
        loads.append(machine_info()["load"])

    # The AVX2 pass. Without AVX-512 the runs above are AVX2 code already.
    has_avx512 = "avx512f" in machine["flags"]
    avx2_build = os.path.abspath(args.avx2_build_dir or BUILD + "-avx2")
    avx2_results, avx2_errors, avx2_missing = {}, {}, None
    avx2_peak = find(results.get("peak_bench"), r"^BM_FmaPeak/AVX2$")
    avx2_peak = avx2_peak["gflops"] * 1e9 if avx2_peak else None
    if has_avx512 and args.quick:
        avx2_missing = "the AVX2 pass is skipped by --quick"
    elif has_avx512 and avx2_peak is None:
        avx2_missing = "peak_bench measured no AVX2 peak"
    elif has_avx512:
        if args.no_build:
            avx2_errors = {b: None if os.path.exists(os.path.join(avx2_build, "benchmarks", b))
                           else "not built in %s" % avx2_build for b in AVX2_BENCHES}
        else:
            avx2_errors = build(AVX2_BENCHES, args.jobs, avx2_build, AVX2_FLAGS)
        avx2_env = dict(env, STATICNN_PEAK_FLOPS="%.6g" % avx2_peak)
        for bench in AVX2_BENCHES:
            if avx2_errors.get(bench):
                log(bench, "(AVX2) skipped:", avx2_errors[bench].splitlines()[0])
                continue
            _, avx2_results[bench], avx2_errors[bench] = run_benchmark(
                bench, args.quick, avx2_env, build_dir=avx2_build, tag="_avx2")
            avx2_results[bench], twins = split_twins(avx2_results[bench])
            if twins:
                avx2_results[bench + "_twins"] = twins
            other = sorted({r.get("label") for r in (avx2_results[bench] or {}).values()} -
                           {"AVX2", "", None})
            if other:  # a build directory configured without AVX2_FLAGS
                avx2_results[bench], avx2_errors[bench] = None, "ran %s code, not AVX2 (%s was " \
                    "not configured with %s)" % (", ".join(other), avx2_build, AVX2_FLAGS)
            loads.append(machine_info()["load"])
        if not any(avx2_results.values()):
            avx2_missing = "no AVX2 benchmark ran (see the AVX2 section)"

    compile_data, compile_error = (None, None) if args.quick else run_compile_time()
    peers, peer_note = ([], None) if args.quick and not args.peers_from else \
        run_peers(args.peers_from)
    finished = datetime.datetime.now(datetime.timezone.utc)
    load_after = machine_info()["load"]

    rep = Report()
    rep.add("# staticnn benchmarks\n")
    rep.add("Generated by `/usr/bin/python3 tools/benchmarks.py%s` on %s (%.0f min). "
            "Regenerate with the same command on a quiet machine.\n" % (
                " --quick" if args.quick else "", started.strftime("%Y-%m-%d %H:%M UTC"),
                (finished - started).total_seconds() / 60))
    if args.quick:
        rep.add("**Quick smoke run: one short run per benchmark, no repetitions. Not for "
                "quoting.**\n")
    if args.note:
        rep.add("**Note: %s**\n" % args.note)
    context = next((d["context"] for d in raw.values() if d and "context" in d), {})
    targets_used = sorted({r["label"] for bench in ("network_bench", "conv2d_bench")
                           for r in (results.get(bench) or {}).values() if r.get("label")})
    rep.add("## Machine and method\n")
    rep.add("- CPU: %s, %s CPUs (cores per socket: %s, threads per core: %s)%s; %s" % (
        machine["model"], machine["cpus"], machine["cores"], machine["threads_per_core"],
        ", virtualised (%s)" % machine["hypervisor"] if machine["hypervisor"] else "",
        machine["caches"]))
    rep.add("- SIMD flags: %s" % " ".join(machine["flags"]))
    one_minute = [float(load.split()[0]) for load in loads + [load_after] if load != "?"]
    rep.add("- Load average: %s at the start, %s at the end, 1-minute load between %.2f and "
            "%.2f after each benchmark binary (the machine may be shared: the CPU/wall column "
            "shows how much of the wall time a benchmark had the core; with other processes "
            "running, wall times and peer ratios are less reliable than CPU times)" % (
                machine["load"], load_after, min(one_minute, default=0),
                max(one_minute, default=0)))
    rep.add("- Compilers: benchmarks built by `%s` (%s), Release (-O3); g++-12: %s; clang++-19: "
            "%s" % (cmake_compiler(), first_line([cmake_compiler(), "--version"]),
                    first_line(["g++-12", "--version"]), first_line(["clang++-19", "--version"])))
    rep.add("- Highway %s (libhwy-dev); Google Benchmark %s%s; dynamic dispatch chose: %s" % (
        package_version("libhwy-dev"), package_version("libbenchmark-dev"),
        " (the library itself is a debug build; it only times our code)"
        if context.get("library_build_type") == "debug" else "",
        ", ".join(targets_used) or "unknown"))
    rep.add("- Method: every benchmark pinned with `taskset -c %s`; %s, medians. GFLOP/s and %% of "
            "peak are per CPU second (Google Benchmark's rate counters), so a process sharing the "
            "core does not lower them; comparisons with peers use wall-clock time." % (
                CORE, "one short run each (--benchmark_min_time=0.01)" if args.quick else
                "%d repetitions (`--benchmark_repetitions=%d "
                "--benchmark_report_aggregates_only=true`)" % (REPETITIONS, REPETITIONS)))
    rep.add("- Raw results: %s/*.json\n" % os.path.relpath(RESULTS, ROOT))

    peak, _ = peak_section(rep, results.get("peak_bench"), errors.get("peak_bench"))
    layer_section(rep, results, errors, peak)
    roofline_section(rep, results.get("conv2d_bench"), results.get("conv2d_bench_twins") or {},
                     peak)
    backward_section(rep, results)
    network_section(rep, "Networks (network_bench)", results.get("network_bench"),
                    errors.get("network_bench"), peak,
                    "Dynamic dispatch (best target). Inference FLOPs = 2 x MACs per sample; a "
                    "training step (forward, softmax cross-entropy, backward, SGD) counts 3x the "
                    "forward FLOPs.")
    if "network_bench_parallel" in results:
        network_section(rep, "Networks on every core (network_bench, thread pool)",
                        results["network_bench_parallel"], errors["network_bench_parallel"],
                        peak, "Not pinned (taskset -c 0-%d): the thread pool's threads use every "
                        "core. GFLOP/s are per CPU second of all threads, so %% of peak is of "
                        "one core's peak per busy core; CPU/wall above 1 is the cores in use." %
                        (os.cpu_count() - 1))
    network_section(rep, "MLPerf Tiny models (mlperf_bench)", results.get("mlperf_bench"),
                    errors.get("mlperf_bench"), peak,
                    "Float inference at batch 1 with BatchNorm folded (fold_batch_norm_t), as "
                    "firmware runs them; dynamic dispatch. FLOPs = 2 x the folded network's MACs. "
                    "ResNet8_TrainStep_b32: a training step of ResNet-8 with BatchNorm in "
                    "training mode (not folded), batch 32, SGD with momentum, counted as 3x the "
                    "folded forward's FLOPs.")
    network_section(rep, "int8 inference (int8_bench)", results.get("int8_bench"),
                    errors.get("int8_bench"), peak,
                    "int8 networks in TFLite's quantization scheme (int8::Network), dynamic "
                    "dispatch; a GFLOP/s column counts integer multiply-adds as 2 operations and "
                    "its % of peak is against the float FMA peak.")
    if has_avx512:
        avx2_section(rep, avx2_results, avx2_errors, avx2_peak, avx2_missing, avx2_build)
    ours = {case: find(results.get(b), p) for case, (b, p) in CASE_BENCHMARK.items()}
    peers_section(rep, ours, peers, peer_note, args.quick)
    compile_section(rep, compile_data, compile_error, args.quick)
    why_no_peers = "peers are skipped by --quick" if args.quick and not args.peers_from else \
        "no peer results (see Peers)"
    peak_goals(rep, results, peak)
    if has_avx512:
        peak_goals(rep, avx2_results, avx2_peak, ", AVX2 code", avx2_missing)
    else:
        peak_goals(rep, results, peak, ", AVX2 code")
    peer_goals(rep, ours, peers, why_no_peers)
    parallel_goal(rep, results)
    write_targets(rep)

    with open(output, "w") as f:
        f.write(rep.text())
    log("wrote", output)


if __name__ == "__main__":
    main()
