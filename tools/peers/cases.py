"""The benchmark cases (stdlib only, so run_peers.py can read them without torch).

Shapes are staticnn's (tests/support/nets.hpp, include/staticnn/models/mlperf_tiny.hpp);
every engine that runs a case runs exactly these.
"""

from dataclasses import dataclass

# The engines the MLPerf Tiny issue compares with (run_peers.py's engine labels).
EMBEDDED_PEERS = ("pytorch_eager", "onnxruntime", "litert_xnnpack", "tflm")
# The int8 engines; ONNX Runtime runs only LeNet-5 (tools/peers/onnx_qlinear.py).
INT8_PEERS = ("litert_xnnpack", "tflm")


@dataclass(frozen=True)
class Case:
    name: str
    input_shape: tuple  # NCHW (or N, features), batch included
    training: bool      # True: one SGD step with cross-entropy; False: one forward
    engines: tuple = None  # the engine labels that run it; None: every engine
    int8: str = None  # tools/make_int8_golden.py's int8 model of that name (TFLite's
                      # quantization scheme, int8 input): "lenet5" or an MLPerf Tiny key


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
    Case("lenet5_int8_infer_b1", (1, 1, 28, 28), False, ("onnxruntime",) + INT8_PEERS,
         int8="lenet5"),
    Case("dscnn_int8_infer_b1", (1, 1, 49, 10), False, INT8_PEERS, int8="ds_cnn"),
    Case("mobilenetv1_int8_infer_b1", (1, 3, 96, 96), False, INT8_PEERS, int8="mobilenet_v1"),
    Case("resnet8_int8_infer_b1", (1, 3, 32, 32), False, INT8_PEERS, int8="resnet8"),
    Case("autoencoder_int8_infer_b1", (1, 640), False, INT8_PEERS, int8="autoencoder"),
]
CASE_BY_NAME = {c.name: c for c in CASES}
