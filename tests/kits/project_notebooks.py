# ruff: noqa: E501 - the notebooks' code is written as students write it, long lines and all
"""Project notebooks as students write them in Colab, for the projects' checks of substance:
a Keras LSTM forecaster, a PyTorch ``nn.LSTM`` classifier, an own NumPy LSTM, and projects
with only a GRU or Dense layers; each clean, or with one pitfall planted (``plant=``), each
pitfall in at least two ways. A notebook is ``Kit``: its cells (markdown and code, with the
outputs Colab saved), the report's text by section, and where each planted pitfall is (the
planted line's text, found in the cells by the tests)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.projects.cells import Notebook, read_project_notebook


@dataclass
class Kit:
    cells: list[tuple[str, str, str]]  # (kind, source, saved output)
    report: dict[str, str]
    planted: dict[str, str] = field(default_factory=dict)  # kind -> text of its line

    def write(self, path: Path) -> Path:
        cells: list[dict[str, Any]] = []
        for number, (kind, source, output) in enumerate(self.cells, 1):
            cell: dict[str, Any] = {
                "cell_type": kind,
                "metadata": {},
                "source": source.splitlines(True),
            }
            if kind == "code":
                cell["metadata"] = {"id": f"c{number}", "outputId": f"o{number}"}
                cell["execution_count"] = number
                cell["outputs"] = (
                    [{"output_type": "stream", "name": "stdout", "text": output}] if output else []
                )
            cells.append(cell)
        notebook = {"cells": cells, "metadata": {"colab": {"provenance": []},
                    "kernelspec": {"name": "python3", "display_name": "Python 3"}},
                    "nbformat": 4, "nbformat_minor": 0}  # fmt: skip
        path.write_text(json.dumps(notebook, indent=1))
        return path

    def notebook(self, tmp: Path) -> Notebook:
        return read_project_notebook(self.write(tmp / "project.ipynb"))

    def place(self, kind: str) -> tuple[int, int]:
        """The 1-based cell and line of the planted pitfall ``kind``."""
        text = self.planted[kind]
        for position, (_, source, _) in enumerate(self.cells, 1):
            for line, code in enumerate(source.splitlines(), 1):
                if text in code:
                    return position, line
        raise AssertionError(f"{text!r} is in no cell")


def md(text: str) -> tuple[str, str, str]:
    return ("markdown", text, "")


def code(text: str, output: str = "") -> tuple[str, str, str]:
    return ("code", text.strip("\n") + "\n", output)


COLAB_SETUP = code(
    """
!pip install -q scikit-learn==1.5.2
from google.colab import drive
drive.mount('/content/drive')
%matplotlib inline
""",
    "Mounted at /content/drive\n",
)


def keras_forecaster(plant: str | None = None) -> Kit:
    """Monthly airline passengers, 12-month windows, a Keras LSTM of 32 units."""
    planted: dict[str, str] = {}
    cells = [md("# Project 1: forecasting airline passengers with an LSTM"), COLAB_SETUP]
    cells.append(
        code("""
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from sklearn.preprocessing import MinMaxScaler
from sklearn.model_selection import train_test_split
from sklearn.metrics import mean_squared_error, mean_absolute_error
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras.callbacks import EarlyStopping, ModelCheckpoint
tf.random.set_seed(42)
""")
    )
    cells.append(
        code(
            """
df = pd.read_csv('/content/drive/MyDrive/data/airline-passengers.csv', parse_dates=['Month'])
series = df['Passengers'].values.astype('float32').reshape(-1, 1)
print(df.shape)
df.head()
""",
            "(144, 2)\n",
        )
    )
    cells.append(
        code("""
WINDOW = 12
UNITS = 32
EPOCHS = 200

def make_windows(values, window):
    X, y = [], []
    for i in range(len(values) - window):
        X.append(values[i:i + window])
        y.append(values[i + window])
    return np.array(X), np.array(y)
""")
    )
    if plant in ("shuffled-time-split/permutation", "shuffled-time-split/indices"):
        if plant.endswith("permutation"):
            line = "X_train, X_test = X[idx[:n_train]], X[idx[n_train:]]"
            drawn = f"""idx = np.random.permutation(len(X))
n_train = int(0.8 * len(X))
{line}
y_train, y_test = y[idx[:n_train]], y[idx[n_train:]]"""
        else:
            line = "X_train, X_test, y_train, y_test = X[train_idx], X[test_idx], y[train_idx], y[test_idx]"
            drawn = f"""indices = np.arange(len(X))
np.random.shuffle(indices)
n_train = int(0.8 * len(X))
train_idx, test_idx = indices[:n_train], indices[n_train:]
{line}"""
        planted["shuffled-time-split"] = line
        cells.append(
            code("""
cut = int(len(series) * 0.8)
scaler = MinMaxScaler()
scaler.fit(series[:cut])
X, y = make_windows(scaler.transform(series), WINDOW)
""")
        )
        cells.append(
            code(
                drawn
                + "\nX_train, X_val = X_train[:-12], X_train[-12:]\ny_train, y_val = y_train[:-12], y_train[-12:]\n"
            )
        )
    elif plant in ("shuffled-time-split", "shuffled-time-split/explicit"):
        explicit = plant.endswith("explicit")
        line = ("X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, "
                "shuffle=True, random_state=1)" if explicit else
                "X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)")  # fmt: skip
        planted["shuffled-time-split"] = line
        cells.append(
            code(f"""
# scale with the first 80% of the months only
cut = int(len(series) * 0.8)
scaler = MinMaxScaler()
scaler.fit(series[:cut])
X, y = make_windows(scaler.transform(series), WINDOW)
{line}
X_train, X_val = X_train[:-12], X_train[-12:]
y_train, y_val = y_train[:-12], y_train[-12:]
""")
        )
    else:
        if plant == "scaler-fit-before-split":
            planted[plant] = "scaled = scaler.fit_transform(series)"
            scaling = """
scaler = MinMaxScaler(feature_range=(0, 1))
scaled = scaler.fit_transform(series)   # scale everything to [0, 1]
n_test = 24
train_scaled, test_scaled = scaled[:-n_test], scaled[-n_test:]
"""
        elif plant == "scaler-fit-before-split/own-cell":
            planted["scaler-fit-before-split"] = "scaled_data = scaler.fit_transform(series)"
            cells.append(
                code("""
scaler = MinMaxScaler(feature_range=(0, 1))
scaled_data = scaler.fit_transform(series)
""")
            )
            cells.append(
                code(
                    """
plt.plot(scaled_data)
plt.title('Passengers, scaled')
plt.show()
""",
                    "<Figure size 640x480 with 1 Axes>\n",
                )
            )
            scaling = """
training_data_len = int(np.ceil(len(scaled_data) * .8))
train_scaled = scaled_data[0:training_data_len, :]
test_scaled = scaled_data[training_data_len - WINDOW:, :]
"""
        elif plant == "scaler-fit-before-split/date-mask":
            planted["scaler-fit-before-split"] = "scaler.fit(series)"
            cells.append(
                code("""
scaler = MinMaxScaler()
scaler.fit(series)
""")
            )
            scaling = """
months = df['Month']
train_scaled = scaler.transform(series[months < '1959-01-01'])
test_scaled = scaler.transform(series[months >= '1959-01-01'])
"""
        elif plant == "scaler-fit-before-split/helper":
            planted["scaler-fit-before-split"] = "return scaler.fit_transform(values), scaler"
            scaling = """
def scale(values):
    scaler = MinMaxScaler()
    return scaler.fit_transform(values), scaler

scaled, scaler = scale(series)
n_test = 24
train_scaled = scaled[:-n_test]
test_scaled = scaled[-n_test:]
"""
        else:
            scaling = """
n_test = 24   # the last two years are the test set
train_series, test_series = series[:-n_test], series[-n_test:]
scaler = MinMaxScaler()
train_scaled = scaler.fit_transform(train_series)
test_scaled = scaler.transform(test_series)
"""
        cells.append(code(scaling))
        cells.append(
            code(
                """
X_train, y_train = make_windows(train_scaled, WINDOW)
X_test, y_test = make_windows(np.concatenate([train_scaled[-WINDOW:], test_scaled]), WINDOW)
X_train, X_val = X_train[:-12], X_train[-12:]
y_train, y_val = y_train[:-12], y_train[-12:]
print(X_train.shape, X_val.shape, X_test.shape)
""",
                "(96, 12, 1) (12, 12, 1) (24, 12, 1)\n",
            )
        )
    if plant == "no-baseline/uncalled":
        planted["no-baseline"] = "history = model.fit("
        cells.append(
            code("""
def persistence_rmse(X, y):
    naive = X[:, -1, 0]
    return np.sqrt(mean_squared_error(y, naive))
""")
        )
    elif plant == "no-baseline/markdown":
        planted["no-baseline"] = "history = model.fit("
        cells.append(
            md(
                "### Baseline\nThe LSTM is compared with a persistence forecast (next month = this month)."
            )
        )
        cells.append(
            code(
                """
baseline_rmse = 52.3   # persistence RMSE, from the course notes
print(f"Persistence RMSE: {baseline_rmse:.2f}")
""",
                "Persistence RMSE: 52.30\n",
            )
        )
    elif plant != "no-baseline":
        cells.append(
            code(
                """
# baseline: next month = this month (persistence)
persistence = X_test[:, -1, 0].reshape(-1, 1)
base = np.sqrt(mean_squared_error(scaler.inverse_transform(y_test), scaler.inverse_transform(persistence)))
print(f"Persistence RMSE: {base:.2f}")
""",
                "Persistence RMSE: 52.34\n",
            )
        )
    else:
        planted["no-baseline"] = "history = model.fit("
    cells.append(
        code(
            """
model = keras.Sequential([
    layers.Input(shape=(WINDOW, 1)),
    layers.LSTM(UNITS),
    layers.Dense(1),
])
model.compile(optimizer='adam', loss='mse')
model.summary()
""",
            'Model: "sequential"\n Total params: 4,385\n Trainable params: 4,385\n Non-trainable params: 0\n',
        )
    )
    validation = "validation_data=(X_val, y_val)"
    callbacks = "callbacks=[EarlyStopping(patience=10, restore_best_weights=True)]"
    if plant == "test-as-validation":
        validation = "validation_data=(X_test, y_test)"
        planted[plant] = "history = model.fit("
    elif plant == "test-as-validation/dataset":
        cells.append(
            code("""
test_ds = tf.data.Dataset.from_tensor_slices((X_test, y_test)).batch(16)
""")
        )
        validation = "validation_data=test_ds"
        callbacks = (
            "callbacks=[ModelCheckpoint('best.keras', monitor='val_loss', save_best_only=True)]"
        )
        planted["test-as-validation"] = "history = model.fit("
    elif plant == "test-as-validation/checkpoint":
        validation = "validation_data=(X_test, y_test)"
        callbacks = "callbacks=[checkpoint]"
        planted["test-as-validation"] = "history = model.fit("
    cells.append(
        code(
            f"""
checkpoint = ModelCheckpoint('best.keras', save_best_only=True)
history = model.fit(X_train, y_train, epochs=EPOCHS, batch_size=16,
                    {validation},
                    {callbacks}, verbose=2)
""",
            "Epoch 1/200\n6/6 - 2s - loss: 0.0712 - val_loss: 0.0933\nEpoch 57/200\n6/6 - 0s - loss: 0.0021 - val_loss: 0.0048\n",
        )
    )
    if plant == "metric-on-scaled-values":
        planted[plant] = "rmse = np.sqrt(mean_squared_error(y_test, pred))"
        evaluation = """
pred = model.predict(X_test)
rmse = np.sqrt(mean_squared_error(y_test, pred))
print(f"Test RMSE: {rmse:.4f}")
"""
        output = "Test RMSE: 0.0421\n"
    else:
        evaluation = """
pred = scaler.inverse_transform(model.predict(X_test))
actual = scaler.inverse_transform(y_test)
rmse = np.sqrt(mean_squared_error(actual, pred))
print(f"Test RMSE: {rmse:.2f}")
"""
        output = "Test RMSE: 19.43\n"
    cells.append(code(evaluation, output))
    if plant == "training-metric-reported":
        planted[plant] = 'print(f"Train RMSE: {train_rmse:.2f}")'
        cells.append(
            code(
                """
train_pred = scaler.inverse_transform(model.predict(X_train))
train_rmse = np.sqrt(mean_squared_error(scaler.inverse_transform(y_train), train_pred))
print(f"Train RMSE: {train_rmse:.2f}")
""",
                "Train RMSE: 11.87\n",
            )
        )
    results = (
        "| Model | Test RMSE (thousands) |\n| Persistence | 52.3 |\n| LSTM, 32 units | 19.4 |\n"
    )
    results += "The LSTM's RMSE of 19.4 thousand passengers beats persistence. Its MAE is 15.2.\n"
    if plant == "metric-on-scaled-values":
        results = "The LSTM reaches a test RMSE of 0.042 passengers (thousands), against 52.3 for persistence.\n"
    if plant == "training-metric-reported":
        results = (
            "The LSTM reaches an RMSE of 11.9 thousand passengers, against 52.3 for persistence.\n"
        )
    if plant == "training-metric-reported/log":
        planted["training-metric-reported"] = "history = model.fit("
        results = "The final loss of the LSTM is 0.0021, far below where it started.\n"
    report = {"Results and Discussion": results,
              "References": "Airline passengers, https://www.kaggle.com/datasets/rakannimer/air-passengers\n"}  # fmt: skip
    return Kit(cells, report, planted)


def pytorch_classifier(plant: str | None = None) -> Kit:
    """Human activity from accelerometer recordings: one recording per row, an nn.LSTM."""
    planted: dict[str, str] = {}
    cells = [md("# Project 2: recognising activities with an LSTM (PyTorch)"), COLAB_SETUP]
    cells.append(
        code("""
import copy
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import TensorDataset, DataLoader
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
torch.manual_seed(0)
""")
    )
    cells.append(
        code(
            """
data = pd.read_csv('har_recordings.csv')
print(data.shape)
labels = data.pop('activity').values
features = data.values.reshape(len(data), 50, 3).astype('float32')   # 50 steps of x, y, z
print(features.shape, np.bincount(labels))
""",
            "(7352, 151)\n(7352, 50, 3) [1226 1073  986 1286 1374 1407]\n",
        )
    )
    if plant == "scaler-fit-before-split":
        planted[plant] = (
            "features = scaler.fit_transform(features.reshape(-1, 3)).reshape(features.shape)"
        )
        cells.append(
            code("""
scaler = StandardScaler()
features = scaler.fit_transform(features.reshape(-1, 3)).reshape(features.shape)
X_train, X_test, y_train, y_test = train_test_split(features, labels, test_size=0.2, stratify=labels, random_state=0)
X_train, X_val, y_train, y_val = train_test_split(X_train, y_train, test_size=0.1, random_state=0)
""")
        )
    elif plant == "scaler-fit-before-split/helper":
        planted["scaler-fit-before-split"] = "return scaler.fit_transform(flat).reshape(x.shape)"
        cells.append(
            code("""
def standardise(x):
    flat = x.reshape(-1, 3)
    scaler = StandardScaler()
    return scaler.fit_transform(flat).reshape(x.shape)

features = standardise(features)
X_train, X_test, y_train, y_test = train_test_split(features, labels, test_size=0.2, stratify=labels, random_state=0)
X_train, X_val, y_train, y_val = train_test_split(X_train, y_train, test_size=0.1, random_state=0)
""")
        )
    else:
        cells.append(
            code("""
X_train, X_test, y_train, y_test = train_test_split(features, labels, test_size=0.2, stratify=labels, random_state=0)
X_train, X_val, y_train, y_val = train_test_split(X_train, y_train, test_size=0.1, random_state=0)
scaler = StandardScaler().fit(X_train.reshape(-1, 3))
X_train, X_val, X_test = (scaler.transform(x.reshape(-1, 3)).reshape(x.shape) for x in (X_train, X_val, X_test))
""")
        )
    if plant == "no-baseline/uncalled":
        planted["no-baseline"] = "self.lstm = nn.LSTM("
        cells.append(
            code("""
def majority_baseline():
    majority = np.bincount(y_train).argmax()
    return (y_test == majority).mean()
""")
        )
    elif plant == "no-baseline/markdown":
        planted["no-baseline"] = "self.lstm = nn.LSTM("
        cells.append(
            md(
                "## Baseline\nA majority-class classifier is the baseline: it guesses the most frequent activity."
            )
        )
        cells.append(
            code("""
majority_accuracy = None   # TODO: the majority-class baseline
""")
        )
    elif plant != "no-baseline":
        cells.append(
            code(
                """
majority = np.bincount(y_train).argmax()
print('majority-class accuracy:', (y_test == majority).mean())
""",
                "majority-class accuracy: 0.1914\n",
            )
        )
    else:
        planted["no-baseline"] = "self.lstm = nn.LSTM("
    cells.append(
        code(
            """
class ActivityLSTM(nn.Module):
    def __init__(self, hidden=64, classes=6):
        super().__init__()
        self.lstm = nn.LSTM(input_size=3, hidden_size=hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])

model = ActivityLSTM(hidden=128)
print('parameters:', sum(p.numel() for p in model.parameters() if p.requires_grad))
""",
            "parameters: 200454\n",
        )
    )
    held_out = "X_val, y_val"
    if plant == "test-as-validation":
        held_out = "X_test, y_test"
        planted[plant] = "if val_loss < best_loss:"
    if plant == "test-as-validation/early-stopping":
        planted["test-as-validation"] = "if test_loss < best_loss - 1e-4:"
        cells.append(
            code(
                """
train_loader = DataLoader(TensorDataset(torch.tensor(X_train), torch.tensor(y_train)), batch_size=64, shuffle=True)
test_loader = DataLoader(TensorDataset(torch.tensor(X_test), torch.tensor(y_test)), batch_size=64)
loss_fn = nn.CrossEntropyLoss()
optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
EPOCHS, PATIENCE = 30, 5
best_loss, waited = float('inf'), 0
for epoch in range(EPOCHS):
    model.train()
    for xb, yb in train_loader:
        optimiser.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimiser.step()
    model.eval()
    with torch.no_grad():
        test_loss = sum(loss_fn(model(xb), yb).item() for xb, yb in test_loader) / len(test_loader)
    print(f'epoch {epoch + 1}: test loss {test_loss:.4f}')
    if test_loss < best_loss - 1e-4:
        best_loss, waited = test_loss, 0
    else:
        waited += 1
        if waited >= PATIENCE:
            print('early stopping')
            break
""",
                "epoch 1: test loss 1.2034\nepoch 2: test loss 0.8112\nepoch 14: test loss 0.3391\nearly stopping\n",
            )
        )
    else:
        cells.append(_pytorch_training(held_out))
    cells.append(
        code(
            """
def accuracy(x, y):
    with torch.no_grad():
        return (model(torch.tensor(x)).argmax(1).numpy() == y).mean()

test_acc = accuracy(X_test, y_test)
print(f'test accuracy: {test_acc:.4f}')
""",
            "test accuracy: 0.9123\n",
        )
    )
    results = (
        "The LSTM classifies 91.2% of the test recordings right; the majority class gets 19.1%.\n"
    )
    if plant == "training-metric-reported":
        planted[plant] = "print(f'training accuracy: {train_acc:.4f}')"
        cells.append(
            code(
                """
train_acc = accuracy(X_train, y_train)
print(f'training accuracy: {train_acc:.4f}')
""",
                "training accuracy: 0.9871\n",
            )
        )
        results = (
            "The LSTM classifies 98.7% of the recordings right; the majority class gets 19.1%.\n"
        )
    return Kit(cells, {"Results and Discussion": results}, planted)


def _pytorch_training(held_out: str) -> tuple[str, str, str]:
    """The training loop that keeps the best model on ``held_out``'s loss."""
    return code(
        f"""
def loader(x, y, shuffle=False):
    return DataLoader(TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=64, shuffle=shuffle)

train_loader = loader(X_train, y_train, shuffle=True)
val_loader = loader({held_out})
loss_fn = nn.CrossEntropyLoss()
optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
EPOCHS = 30
best_loss, best_state = float('inf'), None
for epoch in range(EPOCHS):
    model.train()
    for xb, yb in train_loader:
        optimiser.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimiser.step()
    model.eval()
    with torch.no_grad():
        val_loss = sum(loss_fn(model(xb), yb).item() for xb, yb in val_loader)
    if val_loss < best_loss:
        best_loss, best_state = val_loss, copy.deepcopy(model.state_dict())
model.load_state_dict(best_state)
""",
        "",
    )


def numpy_lstm(plant: str | None = None) -> Kit:
    """Daily temperatures, an LSTM written in NumPy, trained by its own update."""
    planted: dict[str, str] = {}
    cells = [
        md("# Project 1: an LSTM from scratch in NumPy"),
        code("""
import numpy as np
from sklearn.preprocessing import StandardScaler
np.random.seed(7)
temps = np.loadtxt('daily_temperature.csv', delimiter=',', skiprows=1, usecols=1)
"""),
    ]
    cells.append(
        code("""
def sigmoid(z):
    return 1 / (1 + np.exp(-z))

class NumpyLSTM:
    def __init__(self, n_in, n_hidden):
        self.H = n_hidden
        self.W = np.random.randn(4 * n_hidden, n_in + n_hidden) * 0.1
        self.b = np.zeros(4 * n_hidden)
        self.w_out = np.random.randn(n_hidden) * 0.1

    def forward(self, xs):
        h = np.zeros(self.H)
        c = np.zeros(self.H)
        for x in xs:
            z = self.W @ np.concatenate([x, h]) + self.b
            f = sigmoid(z[:self.H])
            i = sigmoid(z[self.H:2 * self.H])
            g = np.tanh(z[2 * self.H:3 * self.H])
            o = sigmoid(z[3 * self.H:])
            c = f * c + i * g
            h = o * np.tanh(c)
        return h @ self.w_out
""")
    )
    cells.append(
        code("""
split = 300
scaler = StandardScaler()
train = scaler.fit_transform(temps[:split].reshape(-1, 1))
test = scaler.transform(temps[split:].reshape(-1, 1))
windows = [(train[i:i + 7], train[i + 7, 0]) for i in range(len(train) - 7)]
test_windows = [(test[i:i + 7], test[i + 7, 0]) for i in range(len(test) - 7)]
""")
    )
    cells.append(
        code("""
net = NumpyLSTM(1, 16)
for epoch in range(20):
    for xs, target in windows:
        pass  # the update of the weights (BPTT) is in the appendix
""")
    )
    if plant == "metric-on-scaled-values":
        planted[plant] = "rmse = np.sqrt(np.mean((predictions - truth) ** 2))"
        cells.append(
            code(
                """
predictions = np.array([net.forward(xs) for xs, _ in test_windows])
truth = np.array([t for _, t in test_windows])
rmse = np.sqrt(np.mean((predictions - truth) ** 2))
print(f'test RMSE {rmse:.3f}')
""",
                "test RMSE 0.613\n",
            )
        )
        results = "On the test days the LSTM's RMSE is 0.613 degrees C.\n"
    else:
        cells.append(
            code(
                """
predictions = scaler.inverse_transform(np.array([[net.forward(xs)] for xs, _ in test_windows]))
truth = scaler.inverse_transform(np.array([[t] for _, t in test_windows]))
rmse = np.sqrt(np.mean((predictions - truth) ** 2))
print(f'test RMSE {rmse:.3f} C')
""",
                "test RMSE 1.377 C\n",
            )
        )
        results = "On the test days the LSTM's RMSE is 1.38 degrees C.\n"
    cells.append(
        code(
            """
truth_days = temps[split:]
persistence = np.sqrt(np.mean((truth_days[1:] - truth_days[:-1]) ** 2))
print(f'persistence RMSE {persistence:.3f} C')
""",
            "persistence RMSE 1.452 C\n",
        )
    )
    results += "Persistence gets 1.45 degrees C.\n"
    return Kit(cells, {"Results and Discussion": results}, planted)


def without_lstm(layer: str) -> Kit:
    """A forecaster with only a GRU (``layer="GRU"``) or only Dense layers (``"Dense"``)."""
    body = ("layers.GRU(48, return_sequences=True),\n    layers.Bidirectional(layers.GRU(16)),"
            if layer == "GRU" else "layers.Flatten(),\n    layers.Dense(64, activation='relu'),")  # fmt: skip
    cells = [
        md("# Project 2: energy use"),
        COLAB_SETUP,
        code(f"""
import numpy as np
import pandas as pd
from tensorflow import keras
from tensorflow.keras import layers
from sklearn.linear_model import LinearRegression
load = pd.read_csv('energy.csv')['kwh'].values
X = np.stack([load[i:i + 24] for i in range(len(load) - 24)])[..., None]
y = load[24:]
cut = int(0.8 * len(X))
X_train, X_test, y_train, y_test = X[:cut], X[cut:], y[:cut], y[cut:]
linear = LinearRegression().fit(X_train[..., 0], y_train)
model = keras.Sequential([
    layers.Input(shape=(24, 1)),
    {body}
    layers.Dense(1),
])
model.compile(optimizer='adam', loss='mae')
model.fit(X_train, y_train, epochs=15, verbose=0)
"""),
    ]
    return Kit(cells, {"Results and Discussion": "The model's MAE is 0.31 kWh.\n"})


# ---- the data read with options: the file handed in, read as the notebook reads it

PASSENGERS = "Month,Passengers\n" + "".join(
    f"{1949 + i // 12}-{i % 12 + 1:02d},{100 + i}\n" for i in range(144)
)
PRICES = "Date,Open,High,Low,Close,Adj Close,Volume\n" + "".join(
    f"2019-{1 + i // 28:02d}-{1 + i % 28:02d},{i}.1,{i}.2,{i}.0,{i}.1,{i}.1,{1000 + i}\n"
    for i in range(250)
)


@dataclass
class ReadCase:
    """A notebook that reads ``file`` (its text ``data``, or bytes for a spreadsheet) with
    options, and what the provenance check may say: ``same`` True (the same data, shown),
    None (it cannot tell) or False (another file's data: the only "differs")."""

    kit: Kit
    file: str
    data: str | bytes
    same: bool | None


def _reader(cells: list[tuple[str, str, str]]) -> Kit:
    imports = code("import numpy as np\nimport pandas as pd\n")
    return Kit([md("# Project 1: forecasting with an LSTM"), imports, *cells], {})


def read_cases() -> dict[str, ReadCase]:
    return {
        # header=None and names: the header line is a row (145), then a column is added
        "names-then-a-column": ReadCase(
            _reader([
                code("df = pd.read_csv('airline-passengers.csv', header=None, names=['month', 'passengers'])\ndf.head()\n"),
                code("df = df[df['month'] != 'Month'].copy()\ndf['passengers'] = df['passengers'].astype(int)\n"
                     "df['year'] = df['month'].str[:4]\nprint(df.shape)\n", "(144, 3)\n"),
            ]),
            "airline-passengers.csv", PASSENGERS, None,
        ),
        "names-shown-at-once": ReadCase(
            _reader([
                code("df = pd.read_csv('airline-passengers.csv', header=None, names=['month', 'passengers'])\nprint(df.shape)\n", "(145, 2)\n"),
                code("df['year'] = df['month'].str[:4]\nprint(df.shape)\n", "(145, 3)\n"),
            ]),
            "airline-passengers.csv", PASSENGERS, True,
        ),
        "set-index-then-shape": ReadCase(
            _reader([
                code("df = pd.read_csv('AAPL.csv')\ndf['Date'] = pd.to_datetime(df['Date'])\n"
                     "df = df.set_index('Date')\nprint(df.shape)\n", "(250, 6)\n"),
            ]),
            "AAPL.csv", PRICES, None,
        ),
        "set-index-in-place": ReadCase(
            _reader([
                code("df = pd.read_csv('AAPL.csv')\n"),
                code("df.set_index('Date', inplace=True)\ndf.shape\n", "(250, 6)\n"),
            ]),
            "AAPL.csv", PRICES, None,
        ),
        "index-col": ReadCase(
            _reader([
                code("df = pd.read_csv('AAPL.csv', index_col='Date', parse_dates=True)\nprint(df.shape)\n", "(250, 6)\n"),
            ]),
            "AAPL.csv", PRICES, True,
        ),
        "usecols-skiprows": ReadCase(
            _reader([
                code("prices = pd.read_csv('AAPL.csv', usecols=['Date', 'Close'], skiprows=[1, 2])\nprices.info()\n",
                     "<class 'pandas.core.frame.DataFrame'>\nRangeIndex: 248 entries, 0 to 247\nData columns (total 2 columns):\n"),
            ]),
            "AAPL.csv", PRICES, True,
        ),
        "sheet": ReadCase(
            _reader([
                code("df = pd.read_excel('AAPL.xlsx', sheet_name='2019')\nprint(df.shape)\n", "(250, 7)\n"),
            ]),
            "AAPL.xlsx", b"PK\x03\x04 a spreadsheet", None,
        ),
        # names from a variable: the columns cannot be known, the rows still can (145 = 145)
        "names-from-a-variable": ReadCase(
            _reader([
                code("cols = ['month', 'passengers']\ndf = pd.read_csv('airline-passengers.csv', names=cols)\nprint(df.shape)\n", "(145, 2)\n"),
            ]),
            "airline-passengers.csv", PASSENGERS, True,
        ),
        # pandas' warning in the read's output names columns in brackets, beside the shape
        "a-warning-beside-the-shape": ReadCase(
            _reader([
                code("df = pd.read_csv('AAPL.csv')\nprint(df.shape)\n",
                     "DtypeWarning: Columns (3,4) have mixed types. Specify dtype option on import or set low_memory=False.\n(250, 7)\n"),
            ]),
            "AAPL.csv", PRICES, None,
        ),
        # the only "differs": the same plain read, shown at once, of other data than handed in
        "other-data": ReadCase(
            _reader([
                code("df = pd.read_csv('AAPL.csv')\nprint(df.shape)\n", "(1258, 7)\n"),
            ]),
            "AAPL.csv", PRICES, False,
        ),
    }  # fmt: skip


# ---- the References as PDFs break them: an address cut at the line's end

REFERENCES_BROKEN = {
    # (the References' lines as the PDF sets them, the dataset's source they name)
    "kaggle-cut-after-datasets": (
        ["[1] Airline passengers. Kaggle. https://www.kaggle.com/datasets/",
         "rakannimer/air-passengers (accessed 2024)."],
        "https://www.kaggle.com/datasets/rakannimer/air-passengers",
    ),
    "kaggle-cut-at-a-hyphen": (
        ["[1] R. Nimer. Air passengers. https://www.kaggle.com/datasets/rakannimer/air-",
         "passengers. Accessed March 2024."],
        "https://www.kaggle.com/datasets/rakannimer/air-passengers",
    ),
    "github-cut-mid-path": (
        ["[1] J. Brownlee, Datasets, https://github.com/jbrownlee/Datasets/blob/master/airline-",
         "passengers.csv"],
        "https://github.com/jbrownlee/Datasets/blob/master/airline-passengers.csv",
    ),
    "library-before-the-data": (
        ["[1] F. Chollet et al. Keras. https://github.com/keras-team/keras",
         "[2] A. Paszke et al. PyTorch. https://github.com/pytorch/pytorch",
         "[3] UCI HAR dataset, https://www.kaggle.com/datasets/uciml/human-activity-",
         "recognition-with-smartphones"],
        "https://www.kaggle.com/datasets/uciml/human-activity-recognition-with-smartphones",
    ),
    "github-cut-mid-word": (
        ["[2] Passengers data, https://github.com/jbrownlee/Datasets/bl",
         "ob/master/airline-passengers.csv, retrieved 2024."],
        "https://github.com/jbrownlee/Datasets/blob/master/airline-passengers.csv",
    ),
    "whole-before-a-line-of-words": (
        ["[1] https://www.kaggle.com/datasets/rakannimer/air-passengers",
         "and/or the course's copy of it."],
        "https://www.kaggle.com/datasets/rakannimer/air-passengers",
    ),
    "only-libraries": (
        ["[1] Keras. https://github.com/keras-team/keras",
         "[2] PyTorch, https://github.com/pytorch/pytorch"],
        None,
    ),
    # issue 95: a repository's name cut inside a word, the rest a name no sentence starts with
    "github-cut-mid-name": (
        ["[1] P. Sen, Google stock prices, https://github.com/prasen832/Goo",
         "gle-Stock-Price-Prediction-using-LSTM (accessed 2024)."],
        "https://github.com/prasen832/Google-Stock-Price-Prediction-using-LSTM",
    ),
    "github-cut-mid-name-alone": (
        ["[2] Google (GOOG) daily prices, GitHub. https://github.com/prasen832/Goo",
         "gle-Stock-Price-Prediction"],
        "https://github.com/prasen832/Google-Stock-Price-Prediction",
    ),
    "github-cut-before-a-hyphen": (
        ["[1] Stock prices. https://github.com/prasen832/Google",
         "-Stock-Price-Prediction. Accessed 2024."],
        "https://github.com/prasen832/Google-Stock-Price-Prediction",
    ),
    "github-cut-in-a-camel-name": (
        ["[1] Prices, https://github.com/prasen832/GoogleStock",
         "PricePrediction.git"],
        "https://github.com/prasen832/GoogleStockPricePrediction.git",
    ),
    "whole-before-a-hyphenated-word": (
        ["[1] https://github.com/prasen832/Google-Stock-Price-Prediction",
         "open-source code and data of the stock model."],
        "https://github.com/prasen832/Google-Stock-Price-Prediction",
    ),
    "whole-before-when-accessed": (
        ["[1] https://www.kaggle.com/datasets/rakannimer/air-passengers",
         "Accessed 12 March 2024."],
        "https://www.kaggle.com/datasets/rakannimer/air-passengers",
    ),
}  # fmt: skip


def lines_pdf(path: Path, sections: dict[str, list[str]]) -> Path:
    """A PDF as Word or LaTeX sets a report: each of the report's six headings (with
    ``sections``' lines under it, else a line of text) and each line where the page breaks it,
    one line of text each (so an address cut at a line's end is cut in the PDF too)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from grader.report import SECTIONS

    page = canvas.Canvas(str(path), pagesize=A4)
    y = 800
    for heading in dict.fromkeys([*SECTIONS, *sections]):
        page.setFont("Helvetica-Bold", 12)
        page.drawString(60, y, heading)
        y -= 20
        page.setFont("Helvetica", 10)
        for line in sections.get(heading, [f"The {heading.lower()} of the project, in words."]):
            page.drawString(60, y, line)
            y -= 14
        y -= 10
    page.save()
    return path


def hand_in(
    root: Path, projects: list[tuple[Kit, str, str | bytes]], student: str = "CS21B077"
) -> Path:
    """A student's folder as ``grader bundle`` takes it: each project's notebook (``kit``), its
    report as a PDF (the kit's Results and References, line by line) and its dataset (name,
    content), and the submission.toml naming them; returns the toml's path."""
    lines = ["[course]", f"projects = {len(projects)}", "", "[student]", f'id = "{student}"',
             'name = "Ravi Kumar"', 'email = "ravi.kumar@example.edu"']  # fmt: skip
    for number, (kit, name, data) in enumerate(projects, 1):
        folder = root / f"project{number}"
        folder.mkdir(parents=True, exist_ok=True)
        kit.write(folder / "notebook.ipynb")
        sections = {heading: text.splitlines() for heading, text in kit.report.items()}
        lines_pdf(folder / "report.pdf", sections)
        dataset = folder / name
        dataset.write_bytes(data) if isinstance(data, bytes) else dataset.write_text(data)
        colab_id = f"1Abc{number}DefGhiJklMnoPqrStuVwxYz0{number}"
        lines += ["", "[[project]]", f'title = "LSTM project {number}"',
                  f'colab = "https://colab.research.google.com/drive/{colab_id}"',
                  f'notebook = "project{number}/notebook.ipynb"',
                  f'report = "project{number}/report.pdf"', f'dataset = "project{number}/{name}"']  # fmt: skip
    toml = root / "submission.toml"
    toml.write_text("\n".join(lines) + "\n")
    return toml
