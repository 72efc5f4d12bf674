"""The libraries' names the analysis knows, by what they do: scalers and encoders, readers of
data, splits, metrics, callbacks, baseline models, recurrent and other layers. A call is known
by the last part of its dotted name (``preprocessing.MinMaxScaler`` is ``MinMaxScaler``)."""

from __future__ import annotations

SCALERS = frozenset(
    {
        "MinMaxScaler", "StandardScaler", "RobustScaler", "MaxAbsScaler", "Normalizer",
        "QuantileTransformer", "PowerTransformer", "Normalization",
    }
)  # fmt: skip
# Encoders that learn from the data (a vocabulary, categories). LabelEncoder only learns the
# set of class names, which leaks nothing a marker would call leakage: left out.
ENCODERS = frozenset(
    {
        "OneHotEncoder", "OrdinalEncoder", "Tokenizer", "TfidfVectorizer", "CountVectorizer",
        "TextVectorization", "HashingVectorizer", "TfidfTransformer", "PCA",
    }
)  # fmt: skip
FITTING = frozenset({"fit", "fit_transform", "fit_on_texts", "adapt", "partial_fit"})
TRANSFORMING = frozenset({"transform", "texts_to_sequences", "texts_to_matrix"})
READERS = frozenset(
    {
        "read_csv", "read_excel", "read_json", "read_parquet", "read_table", "read_feather",
        "read_pickle", "loadtxt", "genfromtxt", "load", "open", "download", "load_dataset",
        "DataReader", "get_data_yahoo", "fetch_openml", "image_dataset_from_directory",
        "text_dataset_from_directory",
    }
)  # fmt: skip
FILE_READERS = READERS - {"download", "DataReader", "get_data_yahoo", "fetch_openml"}
WINDOW_MAKERS = frozenset({"timeseries_dataset_from_array", "TimeseriesGenerator"})
SHUFFLERS = frozenset({"shuffle", "permutation", "sample"})
SEEDERS = frozenset(
    {"seed", "set_seed", "manual_seed", "set_random_seed", "seed_everything", "manual_seed_all"}
)
# Errors in the data's units, and scores without units (accuracy, F1, R^2, percentages).
ERROR_METRICS = frozenset(
    {
        "mean_squared_error", "mean_absolute_error", "root_mean_squared_error",
        "median_absolute_error", "max_error",
    }
)  # fmt: skip
RATIO_METRICS = frozenset(
    {
        "accuracy_score", "f1_score", "r2_score", "precision_score", "recall_score",
        "mean_absolute_percentage_error", "roc_auc_score", "balanced_accuracy_score",
    }
)  # fmt: skip
STOPPING = frozenset({"EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau"})
# Models a project may compare its LSTM with: linear, naive, statistical, classical.
BASELINE_MODELS = frozenset(
    {
        "LinearRegression", "LogisticRegression", "Ridge", "Lasso", "ElasticNet",
        "DummyRegressor", "DummyClassifier", "MultinomialNB", "GaussianNB", "BernoulliNB",
        "ComplementNB", "LinearSVC", "LinearSVR", "SVC", "SVR", "SGDClassifier", "SGDRegressor",
        "RandomForestRegressor", "RandomForestClassifier", "DecisionTreeRegressor",
        "DecisionTreeClassifier", "GradientBoostingRegressor", "GradientBoostingClassifier",
        "KNeighborsRegressor", "KNeighborsClassifier", "XGBRegressor", "XGBClassifier",
        "LGBMRegressor", "LGBMClassifier", "ARIMA", "SARIMAX", "ExponentialSmoothing",
        "Holt", "SimpleExpSmoothing", "AutoReg", "Prophet", "auto_arima",
    }
)  # fmt: skip
# Calls that make a simple forecast or guess from the data itself.
BASELINE_CALLS = frozenset({"shift", "roll", "most_common", "full_like"})
# The most frequent class: ``np.bincount(y).argmax()``, ``y.value_counts().idxmax()``.
MAJORITY = (frozenset({"argmax", "idxmax"}), frozenset({"bincount", "value_counts"}))
RECURRENT = {
    "LSTM": "LSTM", "CuDNNLSTM": "LSTM", "LSTMCell": "LSTM", "ConvLSTM1D": "ConvLSTM",
    "ConvLSTM2D": "ConvLSTM", "ConvLSTM3D": "ConvLSTM", "GRU": "GRU", "CuDNNGRU": "GRU",
    "GRUCell": "GRU", "SimpleRNN": "SimpleRNN", "SimpleRNNCell": "SimpleRNN", "RNN": "RNN",
    "RNNCell": "SimpleRNN",
}  # fmt: skip
OTHER_LAYERS = frozenset(
    {
        "Dense", "Linear", "Conv1D", "Conv2D", "Conv1d", "Conv2d", "Embedding",
        "TransformerEncoderLayer", "MultiHeadAttention", "Transformer",
    }
)  # fmt: skip
BIDIRECTIONAL = "Bidirectional"
# Libraries' own repositories, which a report cites for its code, never as the data's source:
# (owner, repository) on GitHub, and owners whose every repository is a library's.
LIBRARY_REPOSITORIES = frozenset(
    {
        ("keras-team", "keras"), ("keras-team", "keras-io"), ("pytorch", "pytorch"),
        ("pytorch", "vision"), ("pytorch", "examples"), ("tensorflow", "tensorflow"),
        ("tensorflow", "docs"), ("scikit-learn", "scikit-learn"), ("numpy", "numpy"),
        ("pandas-dev", "pandas"), ("matplotlib", "matplotlib"), ("statsmodels", "statsmodels"),
        ("mwaskom", "seaborn"), ("scipy", "scipy"), ("huggingface", "transformers"),
        ("jupyter", "notebook"), ("googlecolab", "colabtools"), ("facebook", "prophet"),
        ("lightning-ai", "pytorch-lightning"), ("lightning-ai", "lightning"),
        ("dmlc", "xgboost"), ("microsoft", "lightgbm"), ("plotly", "plotly.py"),
    }
)  # fmt: skip
LIBRARY_OWNERS = frozenset(
    {"keras-team", "pytorch", "tensorflow", "scikit-learn", "numpy", "pandas-dev", "scipy"}
)
