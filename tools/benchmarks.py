#!/usr/bin/python3
"""Builds and runs the staticnn benchmark suite and writes BENCHMARKS.md.

    /usr/bin/python3 tools/benchmarks.py            # the full report (~10 minutes)
    /usr/bin/python3 tools/benchmarks.py --quick    # smoke run: tiny min time, no
                                                    # repetitions, no peers, no compile
                                                    # time; writes build-bench/BENCHMARKS.quick.md

Steps: configure and build the benchmarks in build-bench (Release); run peak_bench,
conv2d_bench, layers_bench and network_bench pinned to one core (taskset -c 1) with
5 repetitions, keeping the medians; run tools/compile_time.py; run the peer engines
(tools/peers/run_peers.py) if present; write the report. Every step may fail on its
own (a colleague's benchmark that does not build, a missing peer script): the report
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
BENCHES = ["peak_bench", "conv2d_bench", "layers_bench", "network_bench"]
CORE = "1"
REPETITIONS = 5
QUOTED_PEAK = {"AVX3": 240e9, "AVX2": 130e9}  # HIGHWAY-1.0.3.md, another machine
PEER_SCRIPT = os.path.join(ROOT, "tools", "peers", "run_peers.py")
PEER_CASES = ["lenet5_infer_b1", "lenet5_train_b64", "cifar_infer_b1", "conv3x3_64x56x56_fwd",
              "lecture_conv_fwd"]
# Which staticnn benchmark a peer case is compared with: (binary, run_name pattern).
CASE_BENCHMARK = {
    "lenet5_infer_b1": ("network_bench", r"LeNet.*Inference.*_b1$"),
    "lenet5_train_b64": ("network_bench", r"LeNet.*Train.*_b64$"),
    "cifar_infer_b1": ("network_bench", r"Cifar.*Inference.*_b1$"),
    "conv3x3_64x56x56_fwd": ("conv2d_bench", r"3x3.*64x56x56_Forward$"),
    "lecture_conv_fwd": ("conv2d_bench", r"Lecture.*_Forward$"),
}
# Engine families (name prefixes): a goal against "PyTorch" takes the fastest of them,
# variants such as pytorch_eager_refblas included.
TORCH_FAMILIES = ("pytorch", "torchscript")
ENGINE_ORDER = ["pytorch_eager", "pytorch_inference_mode", "torchscript_frozen", "onnxruntime",
                "litert_xnnpack", "dlib"]
# The order of the "targets" section.
GOALS = [
    "Conv 3x3 64->64 on 56x56 forward >= 80% of peak",
    "Conv 3x3 64->64 on 56x56 forward faster than PyTorch",
    "LeNet-5 inference batch 1 >= 10x faster than PyTorch eager",
    "LeNet-5 inference batch 1 >= 3x faster than dlib",
    "LeNet-5 inference batch 1 faster than ONNX Runtime",
    "LeNet-5 inference batch 1 faster than LiteRT (XNNPACK)",
    "LeNet-5 training step batch 64 >= 3x faster than PyTorch",
    "Backward within 1.5x of forward time per FLOP",
    "64-layer network compiles in < 60 s and < 2 GB",
]
TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
PASS_RE = re.compile(r"^(?P<prefix>.*?)(?P<pass>Forward|Backward[A-Za-z]*)(?P<rest>.*)$")
# Layers whose FLOPs are multiply-adds: the backward/forward goal is about them
# (pooling and activations are memory-bound; their ratio is shown, not judged).
MAC_LAYER_RE = re.compile(r"Conv|ResNet|Lecture|LeNet|Pointwise|Depthwise|Linear|Dense|Gemm",
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

def build(benches, jobs):
    """Configures build-bench and builds each benchmark on its own: {name: error or None}."""
    status = {}
    present = [b for b in benches if os.path.exists(os.path.join(ROOT, "benchmarks", b + ".cc"))]
    for b in benches:
        if b not in present:
            status[b] = "benchmarks/%s.cc does not exist" % b
    proc = run(["cmake", "-S", ROOT, "-B", BUILD, "-DCMAKE_BUILD_TYPE=Release",
                "-DSTATICNN_BUILD_BENCHMARKS=ON", "-DSTATICNN_BUILD_TESTS=OFF",
                "-DSTATICNN_BUILD_EXAMPLES=OFF"])
    if proc.returncode != 0:
        for b in present:
            status[b] = "cmake configure failed:\n" + tail(proc.stdout + proc.stderr)
        return status
    for b in present:
        proc = run(["cmake", "--build", BUILD, "-j%d" % jobs, "--target", b])
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


def run_benchmark(name, quick, env):
    exe = os.path.join(BUILD, "benchmarks", name)
    cmd = ["taskset", "-c", CORE, exe, "--benchmark_format=json"]
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
    with open(os.path.join(RESULTS, name + ".json"), "w") as f:
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
    peers, bad = [], 0
    for item in data:
        try:
            seconds = float(item["median_seconds"])
            if not (seconds > 0 and math.isfinite(seconds)):
                raise ValueError
            peers.append({"case": str(item["case"]), "engine": str(item["engine"]),
                          "seconds": seconds, "note": str(item.get("note", ""))})
        except (KeyError, TypeError, ValueError):
            bad += 1
    note = "Peer results reused from %s." % saved if saved else None
    if status != 0:
        note = "tools/peers/run_peers.py exited with status %d (its output was used)." % status
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
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True,
                         text=True)
    return out.stdout.strip() or "unknown"


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


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i == 0 else "--:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def busy(r):
    """CPU / wall time: 1.0 when the core was ours for the whole run."""
    return "%.2f" % (r["cpu"] / r["real"]) if r.get("real") else "n/a"


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


def layer_section(rep, all_results, errors, peak):
    rep.add("## Layers (conv2d_bench, layers_bench)\n")
    for bench in ("conv2d_bench", "layers_bench"):
        results = all_results.get(bench)
        rep.add("### %s\n" % bench)
        if errors.get(bench):
            rep.add("Not measured: %s\n" % errors[bench].replace("\n", "\n    "))
            if not results:
                continue
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


def network_section(rep, results, error, peak):
    rep.add("## Networks (network_bench)\n")
    if error:
        rep.add("Not measured: %s\n" % error.replace("\n", "\n    "))
    if not results:
        return
    rep.add("Dynamic dispatch (best target). Inference FLOPs = 2 x MACs per sample; a training "
            "step (forward, softmax cross-entropy, backward, SGD) counts 3x the forward FLOPs.\n")
    rows = []
    for name, r in results.items():
        if "error" in r:
            rows.append([name, "", "error: " + r["error"], "", "", "", "", "", ""])
            continue
        batch = re.search(r"_b(\d+)$", name)
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
            "too. `_refblas` variants use Debian's reference BLAS.\n" % CORE)
    by_case = {}
    for p in peers:
        by_case.setdefault(p["case"], {})[p["engine"]] = p
    engines = engine_order({p["engine"] for p in peers})
    rows = []
    for case in PEER_CASES + sorted(set(by_case) - set(PEER_CASES)):
        mine = ours.get(case)
        row = [case, "%s (CPU/wall %s)" % (fmt_time(mine["real"]), busy(mine)) if mine else "n/a"]
        for engine in engines:
            p = by_case.get(case, {}).get(engine)
            if p is None:
                row.append("")
            else:
                ratio = fmt(p["seconds"] / mine["real"], 2, "x") if mine else "n/a"
                row.append("%s (%s)" % (fmt_time(p["seconds"]), ratio))
        rows.append(row)
    rep.add(table(["case", "staticnn"] + engines, rows))
    rep.add()
    rep.add("<details><summary>What each peer measured (the peer script's notes)</summary>\n")
    for case in PEER_CASES + sorted(set(by_case) - set(PEER_CASES)):
        for engine in engines:
            p = by_case.get(case, {}).get(engine)
            if p and p["note"]:
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


def peer_goals(rep, ours, peers, peak, conv_results, why_no_peers):
    def best(case, families):
        found = [p for p in peers if p["case"] == case and p["engine"].startswith(families)]
        return min(found, key=lambda p: p["seconds"]) if found else None

    def against(goal, case, families, factor):
        mine = ours.get(case)
        peer = best(case, families)
        if not peers:
            rep.goal(goal, None, why_no_peers)
        elif mine is None:
            rep.goal(goal, None, "staticnn's benchmark for %s was not measured" % case)
        elif peer is None:
            rep.goal(goal, None, "no %s result for %s" % (" / ".join(families), case))
        else:
            ratio, ratio_cpu = peer["seconds"] / mine["real"], peer["seconds"] / mine["cpu"]
            detail = "fastest %s: %s %s vs staticnn %s: %.2fx (need >= %gx)" % (
                "/".join(families), peer["engine"], fmt_time(peer["seconds"]),
                fmt_time(mine["real"]), ratio, factor)
            if (ratio >= factor) != (ratio_cpu >= factor):
                detail += ("; borderline: with staticnn's CPU time (%s, CPU/wall %s) it is "
                           "%.2fx, so regenerate on a quiet machine" % (
                               fmt_time(mine["cpu"]), busy(mine), ratio_cpu))
            rep.goal(goal, ratio >= factor, detail)

    conv = find(conv_results, CASE_BENCHMARK["conv3x3_64x56x56_fwd"][1])
    goal = "Conv 3x3 64->64 on 56x56 forward >= 80% of peak"
    if conv and conv.get("gflops"):
        frac = conv["gflops"] * 1e9 / peak
        rep.goal(goal, frac >= 0.8, "%.1f GFLOP/s = %.1f%% of %.1f GFLOP/s" % (
            conv["gflops"], 100 * frac, peak * 1e-9))
    else:
        rep.goal(goal, None, "conv2d_bench's ResNet 3x3 forward was not measured")
    against("Conv 3x3 64->64 on 56x56 forward faster than PyTorch", "conv3x3_64x56x56_fwd",
            TORCH_FAMILIES, 1.0)
    against("LeNet-5 inference batch 1 >= 10x faster than PyTorch eager", "lenet5_infer_b1",
            ("pytorch_eager",), 10.0)
    against("LeNet-5 inference batch 1 >= 3x faster than dlib", "lenet5_infer_b1", ("dlib",), 3.0)
    against("LeNet-5 inference batch 1 faster than ONNX Runtime", "lenet5_infer_b1",
            ("onnxruntime",), 1.0)
    against("LeNet-5 inference batch 1 faster than LiteRT (XNNPACK)", "lenet5_infer_b1",
            ("litert",), 1.0)
    against("LeNet-5 training step batch 64 >= 3x faster than PyTorch", "lenet5_train_b64",
            TORCH_FAMILIES, 3.0)


def write_targets(rep):
    rep.add("## Targets reached / not reached\n")
    rep.add("Computed from the medians above: % of peak from CPU time, ratios to peers from wall "
            "time. A goal against an engine takes the fastest variant measured (\"PyTorch\": any "
            "pytorch_* or torchscript_* engine; \"PyTorch eager\": pytorch_eager*).\n")
    mark = {True: "reached", False: "**NOT reached**", None: "not measured"}
    for name, reached, detail in sorted(rep.targets, key=lambda t: GOALS.index(t[0])):
        rep.add("- %s: %s — %s" % (name, mark[reached], detail))
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
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args()
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
    env = dict(os.environ)
    for bench in BENCHES:  # peak_bench first: the others are measured against it
        if errors.get(bench):
            log(bench, "skipped:", errors[bench].splitlines()[0])
            continue
        data, parsed, err = run_benchmark(bench, args.quick, env)
        raw[bench], results[bench], errors[bench] = data, parsed, err
        avx3 = (parsed or {}).get("BM_FmaPeak/AVX3")
        if bench == "peak_bench" and avx3 and "error" not in avx3:
            env["STATICNN_PEAK_FLOPS"] = "%.6g" % (avx3["counters"]["FLOPS"])

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
    context = next((d["context"] for d in raw.values() if d and "context" in d), {})
    targets_used = sorted({r["label"] for bench in ("network_bench", "conv2d_bench")
                           for r in (results.get(bench) or {}).values() if r.get("label")})
    rep.add("## Machine and method\n")
    rep.add("- CPU: %s, %s CPUs (cores per socket: %s, threads per core: %s)%s; %s" % (
        machine["model"], machine["cpus"], machine["cores"], machine["threads_per_core"],
        ", virtualised (%s)" % machine["hypervisor"] if machine["hypervisor"] else "",
        machine["caches"]))
    rep.add("- SIMD flags: %s" % " ".join(machine["flags"]))
    rep.add("- Load average: %s at the start, %s at the end (the machine is shared: the "
            "CPU/wall column shows how much of the wall time the benchmark had the core)" % (
                machine["load"], load_after))
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
    rep.add("- Raw results: build-bench/results/*.json\n")

    peak, _ = peak_section(rep, results.get("peak_bench"), errors.get("peak_bench"))
    layer_section(rep, results, errors, peak)
    backward_section(rep, results)
    network_section(rep, results.get("network_bench"), errors.get("network_bench"), peak)
    ours = {case: find(results.get(b), p) for case, (b, p) in CASE_BENCHMARK.items()}
    peers_section(rep, ours, peers, peer_note, args.quick)
    compile_section(rep, compile_data, compile_error, args.quick)
    why_no_peers = "peers are skipped by --quick" if args.quick and not args.peers_from else \
        "no peer results (see Peers)"
    peer_goals(rep, ours, peers, peak, results.get("conv2d_bench"), why_no_peers)
    write_targets(rep)

    with open(output, "w") as f:
        f.write(rep.text())
    log("wrote", output)


if __name__ == "__main__":
    main()
