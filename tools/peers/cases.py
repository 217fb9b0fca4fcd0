"""The benchmark cases (stdlib only, so run_peers.py can read them without torch).

Shapes are staticnn's (tests/support/nets.hpp, include/staticnn/models/mlperf_tiny.hpp);
every engine that runs a case runs exactly these.
"""

from dataclasses import dataclass

# The engines the MLPerf Tiny issue compares with (run_peers.py's engine labels).
EMBEDDED_PEERS = ("pytorch_eager", "onnxruntime", "litert_xnnpack", "tflm")


@dataclass(frozen=True)
class Case:
    name: str
    input_shape: tuple  # NCHW (or N, features), batch included
    training: bool      # True: one SGD step with cross-entropy; False: one forward
    engines: tuple = None  # the engine labels that run it; None: every engine
    int8: bool = False  # an int8 model (TFLite's quantization scheme), input int8


CASES = [
    Case("lenet5_infer_b1", (1, 1, 28, 28), False),
    Case("lenet5_train_b64", (64, 1, 28, 28), True),
    Case("cifar_infer_b1", (1, 3, 32, 32), False),
    Case("cifar_train_b64", (64, 3, 32, 32), True, ("pytorch_eager",)),
    Case("conv3x3_64x56x56_fwd", (1, 64, 56, 56), False),
    Case("lecture_conv_fwd", (1, 3, 32, 32), False),
    Case("dscnn_infer_b1", (1, 1, 49, 10), False, EMBEDDED_PEERS),
    Case("mobilenetv1_infer_b1", (1, 3, 96, 96), False, EMBEDDED_PEERS),
    Case("resnet8_infer_b1", (1, 3, 32, 32), False, EMBEDDED_PEERS),
    Case("autoencoder_infer_b1", (1, 640), False, EMBEDDED_PEERS),
    Case("lenet5_int8_infer_b1", (1, 1, 28, 28), False, ("onnxruntime", "litert_xnnpack", "tflm"),
         int8=True),
]
CASE_BY_NAME = {c.name: c for c in CASES}
