"""The benchmark cases (stdlib only, so run_peers.py can read them without torch).

Shapes are staticnn's (tests/support/nets.hpp); every engine runs exactly these.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    name: str
    input_shape: tuple  # NCHW, batch included
    training: bool      # True: one SGD step with cross-entropy; False: one forward


CASES = [
    Case("lenet5_infer_b1", (1, 1, 28, 28), False),
    Case("lenet5_train_b64", (64, 1, 28, 28), True),
    Case("cifar_infer_b1", (1, 3, 32, 32), False),
    Case("conv3x3_64x56x56_fwd", (1, 64, 56, 56), False),
    Case("lecture_conv_fwd", (1, 3, 32, 32), False),
]
CASE_BY_NAME = {c.name: c for c in CASES}
