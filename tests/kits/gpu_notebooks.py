"""Copies of :mod:`project_notebooks`' notebooks as students write them for Colab's GPU: the
PyTorch classifier with ``torch.device("cuda")`` and ``.to(device)``, or with ``.cuda()``
calls, or asking the GPU its name (which no mapping can answer); the Keras forecaster with a
GPU assert and ``with tf.device("/GPU:0")`` around its training.

The PyTorch copies keep the classifier's model, training and accuracy cells, and train on a
small set of recordings the notebook draws itself (the light runtime of the tests has torch but
neither pandas nor scikit-learn), for two epochs: seconds on a CPU. ``pytorch_on_cpu`` is the
same notebook without any GPU line, whose numbers the GPU copies must reproduce on the CPU.
"""

from __future__ import annotations

from project_notebooks import Kit, code, keras_forecaster, md, pytorch_classifier

DATA = code(
    """
import copy
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import TensorDataset, DataLoader
torch.manual_seed(0)
rng = np.random.default_rng(0)
labels = rng.integers(0, 6, size=240)
features = (rng.normal(size=(240, 50, 3)) + labels[:, None, None] / 3).astype('float32')
X_train, y_train = features[:160], labels[:160]
X_val, y_val = features[160:200], labels[160:200]
X_test, y_test = features[200:], labels[200:]
""",
)
GPU_NAME = code("print(torch.cuda.get_device_name(0))", "Tesla T4\n")


def _classifier_cells() -> list[tuple[str, str, str]]:
    """The classifier's model, training and accuracy cells, made small."""
    wanted = ("class ActivityLSTM", "def loader(", "def accuracy(")
    cells = [c for c in pytorch_classifier().cells if any(w in c[1] for w in wanted)]
    assert len(cells) == len(wanted), "the classifier's cells changed"
    small = {"hidden=128": "hidden=16", "EPOCHS = 30": "EPOCHS = 2"}
    for was, now in small.items():
        cells = [(kind, source.replace(was, now), out) for kind, source, out in cells]
    return cells


def _edited(cells: list[tuple[str, str, str]], edits: dict[str, str]) -> list:
    for was, now in edits.items():
        assert any(was in source for _, source, _ in cells), was
        cells = [(kind, source.replace(was, now), out) for kind, source, out in cells]
    return cells


def pytorch_on_cpu() -> Kit:
    """The small classifier, written for the CPU."""
    return Kit([md("# Activities with an LSTM"), DATA, *_classifier_cells()], {})


def pytorch_gpu(style: str) -> Kit:
    """The small classifier written for Colab's GPU: ``style`` "device" (``torch.device
    ("cuda")`` and ``.to(device)``), "cuda" (``.cuda()`` calls) or "device-name" (as "device",
    then ``torch.cuda.get_device_name(0)``)."""
    if style == "cuda":
        edits = {
            "model = ActivityLSTM(hidden=16)": "model = ActivityLSTM(hidden=16).cuda()",
            "        optimiser.zero_grad()": "        xb, yb = xb.cuda(), yb.cuda()\n"
            "        optimiser.zero_grad()",
            "model(xb), yb).item()": "model(xb.cuda()), yb.cuda()).item()",
            "model(torch.tensor(x)).argmax(1).numpy()": "model(torch.tensor(x).cuda())"
            ".argmax(1).cpu().numpy()",
        }
        device: list[tuple[str, str, str]] = []
    else:
        edits = {
            "model = ActivityLSTM(hidden=16)": "model = ActivityLSTM(hidden=16).to(device)",
            "        optimiser.zero_grad()": "        xb, yb = xb.to(device), yb.to(device)\n"
            "        optimiser.zero_grad()",
            "model(xb), yb).item()": "model(xb.to(device)), yb.to(device)).item()",
            "model(torch.tensor(x)).argmax(1).numpy()": "model(torch.tensor(x).to(device))"
            ".argmax(1).cpu().numpy()",
        }
        device = [code('device = torch.device("cuda")\nprint(device)', "cuda\n")]
        if style == "device-name":
            device.append(GPU_NAME)
    cells = [md("# Activities with an LSTM, on Colab's GPU"), DATA, *device]
    return Kit([*cells, *_edited(_classifier_cells(), edits)], {})


def keras_gpu() -> Kit:
    """The Keras forecaster as written on Colab's GPU runtime: it asserts a GPU is there, and
    trains inside ``with tf.device("/GPU:0")``."""
    kit = keras_forecaster()
    cells = []
    for kind, source, output in kit.cells:
        if "history = model.fit(" in source:
            inner = "".join(f"    {line}" for line in source.splitlines(True))
            source = f'with tf.device("/GPU:0"):\n{inner}'
        cells.append((kind, source, output))
        if "import tensorflow as tf" in source:
            cells.append(
                code(
                    "print(tf.config.list_physical_devices('GPU'))\n"
                    'assert tf.config.list_physical_devices("GPU"), "Runtime > Change runtime '
                    'type > T4 GPU"\n',
                    "[PhysicalDevice(name='/physical_device:GPU:0', device_type='GPU')]\n",
                )
            )
    return Kit(cells, kit.report, kit.planted)
