"""Command line:

  python3 -m staticnn_export SOURCE -o net.hpp [--namespace NAME] [--fold]
                             [--input C,H,W] [--onnx-out model.onnx]
                             [--safetensors weights.safetensors]

SOURCE is an .onnx file, a torch.save'd module (.pt/.pth), or file.py:Name (a
module class or factory called without arguments; needs --input). The header
defines NAME::Net (a staticnn::Network, one layer per line, each with the ONNX
node it comes from) and, unless --safetensors is given, NAME::parameters (a
constexpr Net::Parameters: the weights land in flash). --fold folds every
BatchNorm that follows a Conv2d or Linear (staticnn::fold_batch_norm_t). What
cannot be mapped exactly is an error naming the node; the exit status is then 1.
"""

import argparse
import os
import sys


from . import emit, graph
from .fold import fold


def main(argv=None):
    ap = argparse.ArgumentParser(prog="staticnn_export", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source")
    ap.add_argument("-o", "--output", required=True, help="the C++ header to write")
    ap.add_argument("--namespace", help="default: the header's file name")
    ap.add_argument("--fold", action="store_true", help="fold BatchNorm into Conv2d/Linear")
    ap.add_argument("--input", help="C,H,W or F: the input shape of a PyTorch module")
    ap.add_argument("--onnx-out", help="also save the ONNX model made from a PyTorch module")
    ap.add_argument("--safetensors", help="write the parameters here instead of the header")
    args = ap.parse_args(argv)
    try:
        if args.source.endswith(".onnx"):
            model = graph.load(args.source)
        else:
            try:
                from . import from_torch  # PyTorch only when it is the source
            except ImportError as e:
                raise graph.ExportError(None, "a PyTorch source needs torch (%s)" % e)
            if not args.input:
                raise graph.ExportError(None, "a PyTorch source needs --input C,H,W (or F)")
            shape = [int(v) for v in args.input.split(",")]
            model = from_torch.to_onnx(from_torch.load_module(args.source), shape)
            if args.onnx_out:
                with open(args.onnx_out, "wb") as f:
                    f.write(model.SerializeToString())
        in_shape, layers, out_shape = graph.read(model)
        if args.fold:
            layers = fold(layers)
        namespace = args.namespace or os.path.splitext(os.path.basename(args.output))[0]
        text = emit.header(os.path.basename(args.source), namespace, in_shape, layers, out_shape,
                           with_parameters=not args.safetensors)
        if args.safetensors:
            tensors = emit.safetensors(layers, {"format": "pt",
                                                "source": os.path.basename(args.source),
                                                "folded": str(args.fold).lower()})
    except (graph.ExportError, ValueError) as e:
        print("staticnn_export: %s: %s" % (args.source, e), file=sys.stderr)
        return 1
    write(args.output, text.encode())
    if args.safetensors:
        write(args.safetensors, tensors)
    params, buffers = emit.counts(layers)
    print("staticnn_export: %s -> %s (%d layers at top level, %d parameters, %d buffer values)" %
          (args.source, args.output, len(layers), params, buffers))
    return 0


def write(path, data):
    """Whole or not at all: a temporary file, then a rename."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
