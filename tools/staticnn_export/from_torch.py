"""A PyTorch module to an ONNX model in memory, with BatchNorm and Dropout kept
as nodes: a copy is exported in training mode (PyTorch's inference-mode
export folds BatchNorm into convolutions), then set back to inference
semantics (BatchNormalization on running statistics, Dropout as the
identity), so that the ONNX file is the module in eval() mode and its node
names carry the module paths. The training-mode trace updates the copy's
running statistics, so every initializer named as a state_dict entry gets the
module's own value back; a BatchNorm whose statistics cannot be matched that
way is an error."""

import copy
import importlib.util
import io
import sys
import warnings

import onnx
from onnx import numpy_helper
import torch

from .graph import ExportError

OPSET = 14  # HardSwish needs 14


def load_module(spec):
    """'file.py:name' (a module class or factory, called without arguments) or
    a torch.save'd module."""
    try:
        module = _load(spec)
    except ExportError:
        raise
    except Exception as e:  # noqa: BLE001 - whatever the user's code or file raises
        raise ExportError(None, "cannot load a module from '%s': %s: %s" %
                          (spec, type(e).__name__, e))
    if not isinstance(module, torch.nn.Module):
        raise ExportError(None, "'%s' gives a %s, not a torch.nn.Module (a state_dict needs its "
                          "module: give file.py:ClassName)" % (spec, type(module).__name__))
    return module


def _load(spec):
    if ":" in spec:
        path, name = spec.rsplit(":", 1)
        loader = importlib.util.spec_from_file_location("staticnn_export_source", path)
        if loader is None:
            raise ExportError(None, "cannot import '%s'" % path)
        source = importlib.util.module_from_spec(loader)
        sys.modules[loader.name] = source
        loader.loader.exec_module(source)
        return getattr(source, name)()
    return torch.load(spec)


def to_onnx(module, input_shape):
    """onnx.ModelProto of module(x) for x of shape [2, *input_shape], float32 (two
    samples: a training-mode BatchNorm1d needs more than one)."""
    state = {k: v.detach().float().cpu().numpy() for k, v in module.state_dict().items()}
    module = copy.deepcopy(module).float().train()
    buffer = io.BytesIO()
    try:
        warnings.simplefilter("ignore")  # about the training-mode export, which is undone
        torch.onnx.export(module, torch.zeros(2, *input_shape), buffer, opset_version=OPSET,
                          do_constant_folding=False, training=torch.onnx.TrainingMode.TRAINING,
                          input_names=["input"], output_names=["output"])
    except (RuntimeError, ValueError, TypeError) as e:
        raise ExportError(None, "torch.onnx.export failed: %s" % e)
    model = onnx.load_from_string(buffer.getvalue())
    for t in model.graph.initializer:
        if t.name in state:
            t.CopyFrom(numpy_helper.from_array(state[t.name], t.name))
    for node in model.graph.node:
        if node.op_type == "BatchNormalization" and not all(i in state for i in node.input[3:5]):
            raise ExportError(node, "its running statistics are not named as state_dict entries "
                              "(%s), so their values before the trace are unknown" %
                              ", ".join(node.input[3:5]))
    return as_inference(model)


def as_inference(model):
    for node in model.graph.node:
        if node.op_type == "BatchNormalization":
            for a in node.attribute:
                if a.name == "training_mode":
                    a.i = 0
            del node.output[1:]
        if node.op_type == "Dropout":
            del node.input[2:]  # training_mode: absent means false
            del node.output[1:]
    used = {i for n in model.graph.node for i in n.input}
    keep = [t for t in model.graph.initializer if t.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(keep)
    onnx.checker.check_model(model)
    return model
