#!/usr/bin/python3
"""safetensors files written by PyTorch, for tests/golden_safetensors_test.cc
(staticnn's io/safetensors.hpp loads them and must reproduce PyTorch), and the
reverse check: files staticnn saved load into the PyTorch models with
load_state_dict(strict=True) and give the same tensors.

    /usr/bin/python3 tools/make_safetensors_data.py [out_dir]   # tests/data/safetensors
    /usr/bin/python3 tools/make_safetensors_data.py --check DIR # DIR/{lenet,resnet8}.safetensors
                                                                # saved by staticnn

torch 1.13 (Debian's python3-torch). The files are written with the
safetensors package (safetensors.torch.save_file) when it is importable, e.g.
from a venv made with `/usr/bin/python3 -m venv --system-site-packages V &&
V/bin/pip install safetensors`; otherwise with the writer below, which lays
the file out as that package does (8-byte length, JSON header padded with
spaces to 8 bytes, data sorted by dtype size then key).

Writes to out_dir:
  lenet.safetensors        LeNet-5 (nn.Sequential, keys "0.weight" ... "11.bias"),
                           F32, with the weights of tests/data/golden/lenet5.gold
  lenet_f16.safetensors    the same weights as F16, and as BF16: loading converts
  lenet_bf16.safetensors
  resnet8.safetensors      MLPerf Tiny's ResNet-8 (tools/mlperf_tiny_torch.py,
                           BatchNorm and projection residuals), F32 with PyTorch's
                           I64 num_batches_tracked, the weights and running
                           statistics of tests/data/golden/mlperf_resnet8.gold
  lenet_half.gold          logits of lenet5.gold's input in float64 from the F16
                           and BF16 weights ("logits_f16", "logits_bf16"), rounded
                           once to float32
The F32 outputs are in lenet5.gold ("logits") and mlperf_resnet8.gold
("y_infer"), whose tolerance rules the test applies.
"""

import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mlperf_tiny_torch as mt  # noqa: E402  (sets float64 as torch's default dtype)
import torch  # noqa: E402
from torch import nn  # noqa: E402

try:
    from safetensors.torch import load_file, save_file
except ImportError:
    load_file = save_file = None

GOLDEN = os.path.join(HERE, "..", "tests", "data", "golden")
OUT_DIR = os.path.join(HERE, "..", "tests", "data", "safetensors")
DTYPES = {torch.float32: ("F32", 4), torch.float16: ("F16", 2), torch.bfloat16: ("BF16", 2),
          torch.int64: ("I64", 8)}
LENET_MODULES = {"0": "conv1", "3": "conv2", "7": "fc1", "9": "fc2", "11": "fc3"}


def write_safetensors(path, tensors):
    if save_file is not None:
        save_file({k: v.contiguous() for k, v in tensors.items()}, path)
        return
    order = sorted(tensors, key=lambda k: (-DTYPES[tensors[k].dtype][1], k))
    header, data = {}, b""
    for k in order:
        t = tensors[k].contiguous()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else \
            t.numpy().tobytes()
        header[k] = {"dtype": DTYPES[t.dtype][0], "shape": list(t.shape),
                     "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def read_safetensors(path):
    if load_file is not None:
        return load_file(path)
    with open(path, "rb") as f:
        blob = f.read()
    n = struct.unpack("<Q", blob[:8])[0]
    header, data = json.loads(blob[8:8 + n]), blob[8 + n:]
    names = {v[0]: k for k, v in DTYPES.items()}
    out = {}
    for k, e in header.items():
        if k == "__metadata__":
            continue
        b, end = e["data_offsets"]
        dtype = names[e["dtype"]]
        raw = bytearray(data[b:end])
        if dtype == torch.bfloat16:
            t = torch.frombuffer(raw, dtype=torch.int16).view(torch.bfloat16)
        else:
            t = torch.frombuffer(raw, dtype=dtype)
        out[k] = t.reshape(e["shape"]).clone()
    return out


def read_gold(path):
    with open(path, "rb") as f:
        blob = f.read()
    assert blob[:8] == b"SNNGOLD1", path
    count, pos, out = struct.unpack("<I", blob[8:12])[0], 12, {}
    for _ in range(count):
        n = struct.unpack("<I", blob[pos:pos + 4])[0]
        name = blob[pos + 4:pos + 4 + n].decode()
        pos += 4 + n
        rank = struct.unpack("<I", blob[pos:pos + 4])[0]
        dims = struct.unpack("<%di" % rank, blob[pos + 4:pos + 4 + 4 * rank])
        pos += 4 + 4 * rank
        count_values = 1
        for d in dims:
            count_values *= d
        values = struct.unpack("<%df" % count_values, blob[pos:pos + 4 * count_values])
        pos += 4 * count_values
        out[name] = torch.tensor(values, dtype=torch.float32).reshape(dims)
    return out


def lenet():
    """DESIGN.md's LeNet-5 as nn.Sequential: its keys are staticnn's."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def lenet_model(gold):
    model = lenet().to(torch.float32)
    model.load_state_dict({"%s.%s" % (i, p): gold["%s.%s" % (name, p)]
                           for i, name in LENET_MODULES.items() for p in ("weight", "bias")})
    return model.eval()


def resnet8_model():
    """ResNet-8 with mlperf_resnet8.gold's state (the same seeds as its script)."""
    in_shape, model = mt.resnet8(None)
    mt.init_weights(model, 1234)
    mt.calibrate(model, in_shape, 99)
    return mt.cast(model, torch.float32).eval()


def logits64(model, state, x):
    """The model's output in float64 from `state` converted exactly to float64."""
    m64 = mt.cast(lenet(), torch.float64)
    m64.load_state_dict({k: v.to(torch.float64) for k, v in state.items()})
    with torch.no_grad():
        return m64.eval()(x.to(torch.float64))


def make(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    gold = read_gold(os.path.join(GOLDEN, "lenet5.gold"))
    model = lenet_model(gold)
    state = model.state_dict()
    x = gold["x"]
    y = logits64(model, state, x)
    assert (y.to(torch.float32) - gold["logits"]).abs().max() <= 1e-6 * y.abs().max(), \
        "LeNet-5 here does not compute lenet5.gold's logits"
    write_safetensors(os.path.join(out_dir, "lenet.safetensors"), state)
    half = []
    for suffix, dtype in (("f16", torch.float16), ("bf16", torch.bfloat16)):
        converted = {k: v.to(dtype) for k, v in state.items()}
        write_safetensors(os.path.join(out_dir, "lenet_%s.safetensors" % suffix), converted)
        half.append(("logits_" + suffix, logits64(model, converted, x)))
    mt.write_gold(os.path.join(out_dir, "lenet_half.gold"), half)

    r8 = resnet8_model()
    r8_gold = read_gold(os.path.join(GOLDEN, "mlperf_resnet8.gold"))
    for k, v in r8.state_dict().items():
        if not k.endswith("num_batches_tracked"):
            assert torch.equal(v, r8_gold["state." + k]), "ResNet-8's %s differs from the golden" % k
    write_safetensors(os.path.join(out_dir, "resnet8.safetensors"), r8.state_dict())
    for name in ("lenet", "lenet_f16", "lenet_bf16", "resnet8"):
        path = os.path.join(out_dir, name + ".safetensors")
        print("wrote %-45s %8d bytes" % (os.path.relpath(path), os.path.getsize(path)))


def check(directory):
    """Files staticnn saved from the PyTorch-written ones: strict loads, equal tensors."""
    gold = read_gold(os.path.join(GOLDEN, "lenet5.gold"))
    for name, model in (("lenet", lenet_model(gold)), ("resnet8", resnet8_model())):
        path = os.path.join(directory, name + ".safetensors")
        loaded = read_safetensors(path)
        fresh = (lenet() if name == "lenet" else mt.resnet8(None)[1]).to(torch.float32)
        fresh.load_state_dict(loaded, strict=True)  # raises on a missing or extra key
        for k, v in model.state_dict().items():
            if k.endswith("num_batches_tracked"):
                continue
            assert torch.equal(fresh.state_dict()[k], v), "%s: %s differs" % (path, k)
        print("%s: load_state_dict(strict=True) ok, %d tensors equal to PyTorch's" %
              (path, len(loaded)))


def main():
    print("torch %s, safetensors package: %s" %
          (torch.__version__, "yes" if save_file is not None else "no (own writer)"))
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    else:
        make(sys.argv[1] if len(sys.argv) > 1 else OUT_DIR)


if __name__ == "__main__":
    main()
