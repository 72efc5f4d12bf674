"""The projects' checks of substance on notebooks written the way students write them: every
planted pitfall found at its cell and line, nothing flagged in the clean versions, the model's
layers, units and ``uses_lstm`` right, the report's numbers found or said missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from project_notebooks import Kit, keras_forecaster, numpy_lstm, pytorch_classifier, without_lstm

from grader.projects.analysis import analyse, analyse_files
from grader.projects.cells import read_project_notebook
from grader.projects.kinds import PITFALL_KINDS


def checks(kit: Kit, tmp_path: Path, **options) -> dict:
    return analyse(kit.notebook(tmp_path), kit.report, **options)


@pytest.mark.parametrize("make", [keras_forecaster, pytorch_classifier, numpy_lstm])
def test_nothing_is_flagged_in_the_clean_versions(make, tmp_path):
    found = checks(make(), tmp_path)
    assert found["pitfalls"] == []
    assert found["notes"] == []


PLANTED = [
    (keras_forecaster, "scaler-fit-before-split"),
    (keras_forecaster, "scaler-fit-before-split/helper"),
    (pytorch_classifier, "scaler-fit-before-split"),
    (pytorch_classifier, "scaler-fit-before-split/helper"),
    (keras_forecaster, "scaler-fit-before-split/own-cell"),
    (keras_forecaster, "scaler-fit-before-split/date-mask"),
    (keras_forecaster, "shuffled-time-split"),
    (keras_forecaster, "shuffled-time-split/explicit"),
    (keras_forecaster, "shuffled-time-split/permutation"),
    (keras_forecaster, "shuffled-time-split/indices"),
    (keras_forecaster, "test-as-validation"),
    (keras_forecaster, "test-as-validation/checkpoint"),
    (pytorch_classifier, "test-as-validation"),
    (keras_forecaster, "test-as-validation/dataset"),
    (pytorch_classifier, "test-as-validation/early-stopping"),
    (keras_forecaster, "metric-on-scaled-values"),
    (numpy_lstm, "metric-on-scaled-values"),
    (keras_forecaster, "no-baseline"),
    (keras_forecaster, "no-baseline/uncalled"),
    (pytorch_classifier, "no-baseline"),
    (pytorch_classifier, "no-baseline/uncalled"),
    (keras_forecaster, "no-baseline/markdown"),
    (pytorch_classifier, "no-baseline/markdown"),
    (keras_forecaster, "training-metric-reported"),
    (keras_forecaster, "training-metric-reported/log"),
    (pytorch_classifier, "training-metric-reported"),
]


@pytest.mark.parametrize(("make", "plant"), PLANTED, ids=[f"{m.__name__}-{p}" for m, p in PLANTED])
def test_each_planted_pitfall_is_found_at_its_cell_and_line(make, plant, tmp_path):
    kit = make(plant)
    kind = plant.partition("/")[0]
    found = checks(kit, tmp_path)["pitfalls"]
    assert [(p["kind"], p["cell"], p["line"]) for p in found] == [(kind, *kit.place(kind))]
    assert found[0]["why"].endswith(".") and len(found[0]["why"]) < 400


def test_every_kind_is_planted_in_two_ways():
    ways = {kind: sum(p.partition("/")[0] == kind for _, p in PLANTED) for kind in PITFALL_KINDS}
    assert min(ways.values()) >= 2, ways


def test_the_models_layers_units_and_lstm(tmp_path):
    keras = checks(keras_forecaster(), tmp_path)["model"]
    assert keras["framework"] == "keras" and keras["uses_lstm"]
    assert keras["recurrent"] == [
        {"kind": "LSTM", "units": 32, "bidirectional": False, "cell": 9, "line": 3}
    ]
    assert (keras["parameters"], keras["epochs"]) == (4385, 200)
    torch = checks(pytorch_classifier(), tmp_path)["model"]
    assert torch["framework"] == "pytorch" and torch["uses_lstm"]
    [layer] = torch["recurrent"]
    assert (layer["kind"], layer["units"], layer["layers"]) == ("LSTM", 128, 2)
    assert (torch["parameters"], torch["epochs"]) == (200454, 30)
    own = checks(numpy_lstm(), tmp_path)["model"]
    assert own["framework"] == "numpy" and own["uses_lstm"]
    assert own["recurrent"][0]["own"] and own["recurrent"][0]["kind"] == "LSTM"


def test_a_project_without_an_lstm_is_said_so(tmp_path):
    gru = checks(without_lstm("GRU"), tmp_path)["model"]
    assert not gru["uses_lstm"] and gru["instead"][0] == "GRU"
    assert [(r["units"], r["bidirectional"]) for r in gru["recurrent"]] == [(48, False), (16, True)]
    assert "no LSTM" in gru["note"]
    dense = checks(without_lstm("Dense"), tmp_path)["model"]
    assert dense["recurrent"] == [] and not dense["uses_lstm"] and dense["instead"] == ["Dense"]
    assert dense["framework"] == "keras"
    for kit in (without_lstm("GRU"), without_lstm("Dense")):
        assert checks(kit, tmp_path)["pitfalls"] == []  # a linear model is their baseline


def test_the_reports_numbers_are_looked_for_in_the_outputs(tmp_path):
    numbers = {n["text"]: n for n in checks(keras_forecaster(), tmp_path)["numbers"]}
    assert set(numbers) == {"52.3", "19.4", "15.2"}
    assert numbers["19.4"]["found"] == [{"cell": 11, "source": "saved", "text": "Test RMSE: 19.43"}]
    assert numbers["15.2"]["found"] == []  # in no output: said so
    percent = {n["text"]: n for n in checks(pytorch_classifier(), tmp_path)["numbers"]}
    assert percent["91.2%"]["found"][0]["text"] == "test accuracy: 0.9123"


def test_a_rerun_that_prints_another_value_shows_both(tmp_path):
    rerun = "Persistence RMSE: 52.34\nTest RMSE: 23.90\n"
    numbers = {n["text"]: n for n in checks(keras_forecaster(), tmp_path, rerun=rerun)["numbers"]}
    assert numbers["19.4"]["rerun_differs"] == {
        "cell": 11, "saved": "Test RMSE: 19.43", "rerun": "Test RMSE: 23.90", "seeded": True,
    }  # fmt: skip
    assert "rerun_differs" not in numbers["52.3"]
    assert {"cell": 8, "source": "rerun", "text": "Persistence RMSE: 52.34"} in numbers["52.3"][
        "found"
    ]
    close = checks(keras_forecaster(), tmp_path, rerun="Test RMSE: 19.91\n", tolerance=0.05)
    assert all("rerun_differs" not in n for n in close["numbers"])


def test_the_dataset_read_against_the_one_handed_in(tmp_path):
    kit = pytorch_classifier()
    dataset = tmp_path / "har_recordings.csv"
    header, row = ",".join(f"v{i}" for i in range(151)), ",".join(["1"] * 151)
    dataset.write_text(f"{header}\n" + f"{row}\n" * 7352)
    found = checks(kit, tmp_path, dataset=dataset, folder=tmp_path)["provenance"]
    assert found["same_bytes"] is True and found["read"] == "har_recordings.csv"
    dataset.write_text(f"{header}\n" + f"{row}\n" * 100)  # not the data Colab read
    found = checks(kit, tmp_path, dataset=dataset, folder=tmp_path)["provenance"]
    assert found["same_bytes"] is False and found["differs"] == {
        "rows": {"read": 7352, "handed_in": 100}
    }
    other = tmp_path / "other.csv"
    other.write_text("x\n1\n")
    found = checks(kit, tmp_path, dataset=other, folder=tmp_path)["provenance"]
    assert found["same_bytes"] is False  # the notebook reads har_recordings.csv, a different file
    keras = checks(
        keras_forecaster(), tmp_path, report_text=keras_forecaster().report["References"]
    )
    assert (
        keras["provenance"]["source_url"]
        == "https://www.kaggle.com/datasets/rakannimer/air-passengers"
    )


def test_what_cannot_be_read_is_said_and_the_rest_still_comes(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    found = analyse_files(broken, "the PDF is encrypted")
    assert found["pitfalls"] == [] and found["numbers"] == []
    assert any("could not be read" in n for n in found["notes"])
    assert any("encrypted" in n for n in found["notes"])
    kit = keras_forecaster("no-baseline")
    kit.cells.insert(4, ("code", "def oops(:\n    pass\n", ""))
    kit.cells.insert(5, ("code", "%%bash\nls /content\n", ""))
    found = checks(kit, tmp_path)
    assert found["notes"] == ["cell 5 is not valid Python (line 1): its code was not analysed"]
    assert found["model"]["uses_lstm"]
    assert "no-baseline" not in {p["kind"] for p in found["pitfalls"]}  # not sure: not claimed


def test_colab_magics_and_shell_lines_are_neutralised(tmp_path):
    notebook = read_project_notebook(keras_forecaster().write(tmp_path / "n.ipynb"))
    setup = notebook.cell(2)
    assert setup is not None and setup.tree is not None and setup.problem is None


ODD = [
    "import numpy as np\nx = " + "(" * 200 + "1" + ")" * 200,
    "def f(n):\n    return f(n - 1) if n else g(n)\ndef g(n):\n    return f(n)\nf(3)",
    "class A:\n    def __init__(self, *a, **k):\n        self.a = a\n    def __call__(self, x):\n"
    "        return x\nA(1, 2, k=3)(4)",
    "match 1:\n    case 1:\n        y = 2\n    case _:\n        pass",
    "async def h():\n    async with a as b:\n        await b\n",
    "z = [*range(3)]; w = {**{}}; (q := 5); a, *b = z; lambda: 0",
    "train_test_split()\nX[:]\nX[::2]\nscaler = MinMaxScaler(); scaler.fit()\nmodel.fit()",
    "from tensorflow.keras.layers import LSTM as L\nm = L(units='64')\nprint(f'{m!r:>{3}}')",
    "try:\n    pass\nexcept* ValueError:\n    pass\nwith open('a') as f, open('b'):\n    pass",
]


def test_odd_python_is_walked_without_a_fault():
    from grader.projects.cells import notebook_from_sources

    found = analyse(notebook_from_sources(ODD), {"Results and Discussion": "RMSE 0.52"})
    assert found["notes"] == []
    assert found["model"]["uses_lstm"]  # through the alias L
    assert [p["kind"] for p in found["pitfalls"]] == ["no-baseline"]  # an LSTM, nothing beside
    assert found["numbers"] == [{"text": "0.52", "value": 0.52, "found": []}]


def test_code_nested_beyond_the_parser_is_said_so():
    from grader.projects.cells import notebook_from_sources

    deep = ["y = " + "-" * 50000 + "1", "import torch\nm = torch.nn.LSTM(3, 4)"]
    found = analyse(notebook_from_sources(deep), {})
    assert found["notes"] == ["cell 1 is nested too deeply to parse: its code was not analysed"]
    assert found["model"]["uses_lstm"]


def test_a_reported_evaluate_on_the_training_set_is_flagged(tmp_path):
    kit = keras_forecaster()
    kit.cells.append(
        (
            "code",
            "loss = model.evaluate(X_train, y_train, verbose=0)\nprint('loss', loss)\n",
            "loss 0.0019\n",
        )
    )
    kit.report["Results and Discussion"] += "Its loss is 0.0019.\n"
    found = checks(kit, tmp_path)["pitfalls"]
    assert [(p["kind"], p["cell"], p["line"]) for p in found] == [
        ("training-metric-reported", 12, 2)
    ]


def test_whole_numbers_of_the_results_are_read_and_counts_are_not(tmp_path):
    kit = keras_forecaster()
    kit.cells.append(
        ("code", "print('test MAE', 60.2)\nprint('val accuracy 0.77')\n", "test MAE 60.2\n")
    )
    kit.report["Results and Discussion"] = (
        "The LSTM of 32 units, trained for 200 epochs on 12-month windows from 1949 to 1958, "
        "reaches an MAE of 60 passengers and an accuracy of 77 on the held-out months.\n"
        "Its RMSE was 25,000 in the first run; the loss: 3 after 50 epochs.\n"
    )
    numbers = {n["text"]: n for n in checks(kit, tmp_path)["numbers"]}
    assert set(numbers) == {"60", "77", "25,000", "3"}
    assert numbers["60"]["found"] == [{"cell": 12, "source": "saved", "text": "test MAE 60.2"}]
    assert numbers["25,000"]["value"] == 25000 and numbers["25,000"]["found"] == []
    assert numbers["77"]["found"] == []  # 0.77 is no whole 77: a whole number is no percent


def test_a_number_found_only_by_rerunning_is_placed_in_its_cell(tmp_path):
    kit = keras_forecaster()
    kit.cells[10] = (kit.cells[10][0], kit.cells[10][1], "")  # the test RMSE's output cleared
    rerun = "Persistence RMSE: 52.34\nTest RMSE: 19.43\n"
    numbers = {n["text"]: n for n in checks(kit, tmp_path, rerun=rerun)["numbers"]}
    assert numbers["19.4"]["found"] == [{"cell": 11, "source": "rerun", "text": "Test RMSE: 19.43"}]


def test_a_filter_by_sign_is_no_split_but_a_date_cut_is(tmp_path):
    from grader.projects.cells import notebook_from_sources

    read = (
        "import pandas as pd\nfrom sklearn.preprocessing import MinMaxScaler\n"
        "df = pd.read_csv('returns.csv')\nscaler = MinMaxScaler()\n"
        "df['scaled'] = scaler.fit_transform(df[['ret']])\n"
    )
    filtered = read + "up = df[df['ret'] > 0]\ndown = df[df['ret'] < 0]\n"  # zeros left out
    found = analyse(notebook_from_sources([filtered]), {})["pitfalls"]
    assert found == []
    cut = read + "train = df[df['date'] < split_date]\ntest = df[df['date'] >= split_date]\n"
    found = analyse(notebook_from_sources([cut]), {})["pitfalls"]
    assert [(p["kind"], p["cell"], p["line"]) for p in found] == [("scaler-fit-before-split", 1, 5)]
