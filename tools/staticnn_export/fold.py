"""BatchNorm folding on the exporter's layers, exactly as staticnn's fold.hpp
does it, so that the folded list is fold_batch_norm_t<Net> and its values are
fold_batch_norm<Net>(params): in every list, a BatchNorm directly after a
Conv2d or Linear is removed and that layer, per output channel c, becomes

    s_c  = gamma_c / sqrt(running_var_c + eps)
    w'_c = w_c * s_c
    b'_c = (b_c - running_mean_c) * s_c + beta_c     (b_c = 0 without a bias)

in double, rounded once to float32.
"""

import dataclasses
import math

import numpy as np

from .graph import Block, Layer


def fold(layers):
    out = []
    i = 0
    while i < len(layers):
        a = layers[i]
        b = layers[i + 1] if i + 1 < len(layers) else None
        if isinstance(a, Block):
            out.append(dataclasses.replace(a, lists=[fold(l) for l in a.lists]))
        elif (b is not None and isinstance(b, Layer) and a.kind in ("Conv2d", "Linear") and
              b.kind in ("BatchNorm2d", "BatchNorm1d")):
            out.append(fold_pair(a, b))
            i += 1
        else:
            out.append(a)
        i += 1
    return out


def fold_pair(a, bn):
    p = dict(a.params)
    gamma, beta = (np.asarray(v, np.float64) for _, v in bn.params)
    mean, var = (np.asarray(v, np.float64) for _, v in bn.buffers)
    eps = float(np.float32(bn.spec.get("eps", 1e-5)))
    scale = np.array([g / math.sqrt(v + eps) for g, v in zip(gamma, var)])
    w = np.asarray(p["weight"], np.float64)
    shape = (-1,) + (1,) * (w.ndim - 1)
    bias = np.asarray(p["bias"], np.float64) if "bias" in p else np.zeros(w.shape[0])
    spec = {k: v for k, v in a.spec.items() if k != "bias"}
    params = [("weight", (w * scale.reshape(shape)).astype(np.float32)),
              ("bias", ((bias - mean) * scale + beta).astype(np.float32))]
    return Layer(a.kind, spec, "%s + %s" % (a.source, bn.source), params, [], a.in_shape,
                 a.out_shape)
