#!/usr/bin/env python3
"""Times staticnn's benchmark cases in peer engines, single-threaded on one core.

usage: run_peers.py [--setup-only] [--cases a,b] [--engines x,y]

Sets up what the peers need (idempotent; only --setup-only and the first run need
the package registries), then prints to stdout only a JSON list of
  {"case": str, "engine": str, "median_seconds": float | null,
   "median_cpu_seconds": float | null, "note": str}
where median_seconds is the wall-clock time of one inference or one training step and
median_cpu_seconds its CPU time (Python engines; null for dlib). Everything else goes
to stderr. An engine that cannot run yields null entries that say why.

Setup, all under build-peers/ except the Debian package libdlib-dev:
  - build-peers/venv: a venv over /usr/bin/python3 with --system-site-packages (to see
    Debian's python3-torch), plus tools/peers/requirements.txt;
  - build-peers/openblas: Debian's libopenblas0-serial unpacked (apt-get download +
    dpkg -x, nothing installed): the system's libblas.so.3 is Netlib's reference BLAS,
    and both Debian's torch and dlib call BLAS for convolutions and linear layers. The
    main engines run with OpenBLAS first on LD_LIBRARY_PATH, the *_refblas ones with
    the system BLAS as it is;
  - build-peers/dlib_bench: tools/peers/dlib_bench.cc compiled with g++.
Engine internals: py_engines.py (Python peers), dlib_bench.cc (dlib), timing.py.
"""

import argparse
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True  # keep tools/peers free of __pycache__

import single_thread  # noqa: E402
from cases import CASES, CASE_BY_NAME  # noqa: E402

ROOT = HERE.parents[1]
BUILD = Path(os.environ.get("STATICNN_PEERS_BUILD", ROOT / "build-peers"))
SYSTEM_PYTHON = "/usr/bin/python3"
VENV = BUILD / "venv"
VENV_PYTHON = VENV / "bin" / "python"
OPENBLAS_ROOT = BUILD / "openblas"
OPENBLAS_DIR = OPENBLAS_ROOT / "usr/lib/x86_64-linux-gnu/openblas-serial"
OPENBLAS_PACKAGE = "libopenblas0-serial"
DLIB_SOURCE = HERE / "dlib_bench.cc"
DLIB_BINARY = BUILD / "dlib_bench"
WORKER_TIMEOUT_SECONDS = 1800


@dataclass(frozen=True)
class Engine:
    label: str
    runner: str          # "python" (py_engines.py) or "dlib" (dlib_bench)
    worker_engine: str   # py_engines.py engine name
    openblas: bool       # run with OpenBLAS first on LD_LIBRARY_PATH
    trains: bool         # also runs the training cases
    uses_blas: bool      # its timings depend on the BLAS library


ENGINES = [
    Engine("pytorch_eager", "python", "pytorch_eager", True, True, True),
    Engine("torchscript_frozen", "python", "torchscript_frozen", True, False, True),
    Engine("onnxruntime", "python", "onnxruntime", True, False, False),
    Engine("litert_xnnpack", "python", "litert_xnnpack", True, False, False),
    Engine("tflm", "python", "tflm", True, False, False),
    Engine("dlib", "dlib", "", True, True, True),
    Engine("pytorch_eager_refblas", "python", "pytorch_eager", False, True, True),
    Engine("dlib_refblas", "dlib", "", False, True, True),
]
ENGINE_BY_LABEL = {e.label: e for e in ENGINES}


def log(message):
    print(f"[run_peers] {message}", file=sys.stderr, flush=True)


def run(command, **kwargs):
    """Runs a setup command with its output on stderr; raises on failure."""
    log("$ " + " ".join(str(c) for c in command))
    subprocess.run([str(c) for c in command], check=True, stdout=sys.stderr,
                   stderr=sys.stderr, **kwargs)


class SetupProblem(Exception):
    """A reason why an engine cannot run here; becomes the note of its null entries."""


def output_of(command, **kwargs):
    return subprocess.run([str(c) for c in command], check=True, capture_output=True,
                          text=True, **kwargs).stdout.strip()


# ---- Setup ------------------------------------------------------------------------------

def setup_python_env():
    """Creates the venv and installs the pinned requirements."""
    if not Path(SYSTEM_PYTHON).exists():
        raise SetupProblem(f"{SYSTEM_PYTHON} not found")
    if not VENV_PYTHON.exists():
        BUILD.mkdir(parents=True, exist_ok=True)
        run([SYSTEM_PYTHON, "-m", "venv", "--system-site-packages", VENV])
    constraints = BUILD / "constraints.txt"
    try:  # never let pip put a second numpy over the one Debian's torch was built with
        numpy_version = output_of([SYSTEM_PYTHON, "-c", "import numpy; print(numpy.__version__)"])
        constraints.write_text(f"numpy=={numpy_version}\n")
    except subprocess.CalledProcessError:
        constraints.write_text("")
    requirements = HERE / "requirements.txt"
    stamp = VENV / ".staticnn-peers-stamp"
    digest = hashlib.sha256(requirements.read_bytes() + constraints.read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        try:
            run([VENV_PYTHON, "-m", "pip", "install", "--disable-pip-version-check",
                 "-r", requirements, "-c", constraints])
            stamp.write_text(digest)
        except subprocess.CalledProcessError as error:
            # The torch engines may still run; the others report their missing module.
            log(f"pip install failed ({error}); engines needing those packages will say so")
    try:
        output_of([VENV_PYTHON, "-c", "import torch"])
    except subprocess.CalledProcessError:
        raise SetupProblem("Debian's python3-torch is not importable "
                           "(apt-get install python3-torch)") from None
    return "ok"


def setup_openblas():
    """Unpacks Debian's serial OpenBLAS under build-peers, checks its sgemm; returns a note."""
    if not (OPENBLAS_DIR / "libblas.so.3").exists():
        with tempfile.TemporaryDirectory() as download_dir:
            os.chmod(download_dir, 0o777)  # apt's _apt user downloads into it
            run(["apt-get", "download", OPENBLAS_PACKAGE], cwd=download_dir)
            debs = glob.glob(os.path.join(download_dir, f"{OPENBLAS_PACKAGE}_*.deb"))
            if not debs:
                raise SetupProblem(f"apt-get download {OPENBLAS_PACKAGE} produced no .deb")
            shutil.rmtree(OPENBLAS_ROOT, ignore_errors=True)
            run(["dpkg", "-x", debs[0], OPENBLAS_ROOT])
    # Older OpenBLAS builds can miscompute on newer CPUs: compare sgemm in the layouts
    # torch and dlib use against a float64 einsum (which does not call BLAS).
    check = r"""
import ctypes, glob, os, sys
import numpy as np
rng = np.random.default_rng(0)
a, b, c = (rng.standard_normal(s).astype(np.float32) for s in ((67, 300), (300, 129), (129, 300)))
worst = 0.0
for x, y in ((a, b), (a, c.T), (b.T, a.T), (c, a.T)):
    exact = np.einsum("ik,kj->ij", x.astype(np.float64), y.astype(np.float64))
    worst = max(worst, float(np.max(np.abs(x @ y - exact))))
libs = glob.glob(os.path.join(sys.argv[1], "libopenblas*.so*"))
blas = ctypes.CDLL(libs[0])
blas.openblas_get_config.restype = blas.openblas_get_corename.restype = ctypes.c_char_p
mapped = any(sys.argv[1] in line for line in open("/proc/self/maps"))
config, core = blas.openblas_get_config().decode(), blas.openblas_get_corename().decode()
print(worst, mapped, config, core, sep="|")
"""
    env = worker_environment(openblas=True)
    worst, mapped, config, core = output_of(
        [SYSTEM_PYTHON, "-c", check, OPENBLAS_DIR], env=env).split("|")
    if mapped != "True":
        raise SetupProblem("numpy did not load the unpacked OpenBLAS (LD_LIBRARY_PATH ignored?)")
    if float(worst) > 1e-3:
        raise SetupProblem(f"OpenBLAS sgemm self-test failed (max error {worst}; "
                           f"try OPENBLAS_CORETYPE)")
    version = config.split()[1] if len(config.split()) > 1 else "?"
    return (f"libblas.so.3 = Debian {OPENBLAS_PACKAGE} {version} (core {core}, "
                  f"single-threaded build), unpacked in build-peers/openblas and first on "
                  f"LD_LIBRARY_PATH; system BLAS untouched")


def setup_dlib():
    """Makes sure libdlib-dev is there and builds dlib_bench."""
    if not Path("/usr/include/dlib/dnn.h").exists():
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            raise SetupProblem("libdlib-dev is not installed (apt-get install -y libdlib-dev)")
        try:
            run(["apt-get", "install", "-y", "libdlib-dev"])
        except subprocess.CalledProcessError:
            run(["apt-get", "update"])
            run(["apt-get", "install", "-y", "libdlib-dev"])
    compiler = os.environ.get("CXX", "g++")
    if not shutil.which(compiler):
        raise SetupProblem(f"no C++ compiler ({compiler})")
    if DLIB_BINARY.exists() and DLIB_BINARY.stat().st_mtime >= DLIB_SOURCE.stat().st_mtime:
        return "ok"
    try:
        flags = output_of(["pkg-config", "--cflags", "--libs", "dlib-1"]).split()
    except (subprocess.CalledProcessError, FileNotFoundError):
        flags = ["-ldlib", "-lblas", "-llapack", "-lpthread"]
    BUILD.mkdir(parents=True, exist_ok=True)
    # No -march=native: the kernels live in Debian's generic libdlib.so anyway, and the
    # headers must agree with it on dlib's SIMD configuration macros.
    run([compiler, "-std=c++17", "-O3", "-DNDEBUG", "-Wall", "-Wextra", DLIB_SOURCE,
         "-o", DLIB_BINARY, *flags])
    return "ok"


def setup():
    """Runs every setup step; returns {step: problem or None} and the OpenBLAS note."""
    problems = {}
    openblas_note = ""
    for name, step in (("python", setup_python_env), ("openblas", setup_openblas),
                       ("dlib", setup_dlib)):
        try:
            note = step()
            problems[name] = None
            if name == "openblas":
                openblas_note = note
            log(f"setup {name}: {note}")
        except SetupProblem as problem:
            problems[name] = str(problem)
        except (subprocess.CalledProcessError, OSError, ValueError) as error:
            problems[name] = f"setup failed: {error}"
        if problems[name]:
            log(f"setup {name}: {problems[name]}")
    return problems, openblas_note


# ---- Running ----------------------------------------------------------------------------

def worker_environment(openblas, label=None):
    env = os.environ.copy()
    single_thread.limit_threads(env)
    env["STATICNN_PEERS_BUILD"] = str(BUILD)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if label:
        env["STATICNN_PEERS_ENGINE_LABEL"] = label
    if openblas:
        env["LD_LIBRARY_PATH"] = os.pathsep.join(
            p for p in (str(OPENBLAS_DIR), env.get("LD_LIBRARY_PATH")) if p)
    return env


def null_entries(engine, case_names, why):
    log(f"skipping {engine.label}: {why}")
    return [{"case": c, "engine": engine.label, "median_seconds": None, "note": why}
            for c in case_names]


def run_engine(engine, case_names, problems, openblas_note):
    blocker = problems["python"] if engine.runner == "python" else problems["dlib"]
    if blocker:
        return null_entries(engine, case_names, blocker)
    openblas = engine.openblas and not problems["openblas"]
    if engine.openblas and problems["openblas"] and engine.uses_blas:
        blas_note = f"system BLAS (OpenBLAS unavailable: {problems['openblas']})"
    elif openblas and engine.uses_blas:
        blas_note = openblas_note
    elif engine.uses_blas:
        blas_note = ("system libblas.so.3 as installed (Debian's default is Netlib's "
                     "reference BLAS; 'BLAS loaded' above says which it was)")
    else:
        blas_note = ""
    if not engine.openblas and problems["openblas"]:
        return null_entries(engine, case_names,
                            f"same as {engine.label.replace('_refblas', '')} without OpenBLAS")
    if engine.runner == "python":
        command = [VENV_PYTHON, HERE / "py_engines.py", engine.worker_engine, *case_names]
    else:
        command = [DLIB_BINARY, *case_names]
    log(f"running {engine.label} on {', '.join(case_names)}")
    try:
        completed = subprocess.run([str(c) for c in command], stdout=subprocess.PIPE,
                                   stderr=sys.stderr, text=True,
                                   env=worker_environment(openblas, engine.label),
                                   timeout=WORKER_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        return null_entries(engine, case_names, f"timed out after {WORKER_TIMEOUT_SECONDS} s")
    except OSError as error:
        return null_entries(engine, case_names, f"could not start the worker: {error}")
    try:
        entries = json.loads(completed.stdout)
    except json.JSONDecodeError:
        return null_entries(engine, case_names,
                            f"worker crashed (exit code {completed.returncode}), no JSON")
    by_case = {e.get("case"): e for e in entries}
    results = []
    for name in case_names:
        entry = by_case.get(name)
        if entry is None:
            results += null_entries(engine, [name], "worker returned no result")
            continue
        if blas_note and entry["median_seconds"] is not None:
            entry["note"] += f"; {blas_note}"
        results.append({"case": name, "engine": engine.label,
                        "median_seconds": entry["median_seconds"],
                        "median_cpu_seconds": entry.get("median_cpu_seconds"),
                        "note": entry["note"]})
    return results


def runs(engine, case):
    """Whether the engine runs the case: training cases need an engine that trains; a
    case may name its engines (the MLPerf Tiny models and int8 LeNet-5 have no dlib or
    TorchScript version, and only PyTorch is timed training the CIFAR-style net)."""
    if case.training and not engine.trains:
        return False
    return case.engines is None or engine.label in case.engines


def parse_list(value, known, what):
    if value is None:
        return list(known)
    chosen = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in chosen if v not in known]
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)} (known: {', '.join(known)})")
    return chosen


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setup-only", action="store_true",
                        help="prepare venv, OpenBLAS and dlib_bench, then exit")
    parser.add_argument("--cases", help="comma-separated subset of the cases")
    parser.add_argument("--engines", help="comma-separated subset of the engines")
    args = parser.parse_args()
    case_names = parse_list(args.cases, [c.name for c in CASES], "cases")
    engine_labels = parse_list(args.engines, [e.label for e in ENGINES], "engines")

    problems, openblas_note = setup()
    if args.setup_only:
        return

    single_thread.limit_threads()
    cpu = single_thread.pin_to_one_core()  # inherited by every worker
    log(f"pinned to CPU {cpu}; thread variables set to 1")
    results = []
    for label in engine_labels:
        engine = ENGINE_BY_LABEL[label]
        runnable = [c for c in case_names if runs(engine, CASE_BY_NAME[c])]
        if runnable:
            results += run_engine(engine, runnable, problems, openblas_note)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
