"""The model per problem type: defaults, tuning ranges, building, fitting, predicting.

Rendered for this repository's framework only ({{ cookiecutter.framework }}): only its library is installed,
and project.yaml's model.framework must name it. scikit-learn uses histogram gradient boosting and XGBoost
its ``hist`` trees: both handle missing values and categorical features natively, so the schema-checked
frame goes in as it is. On the demo
data they beat a ridge regression on diabetes (test RMSE 58-59 against 60.5) and come close to a logistic
regression on breast cancer (test AUC 0.99 against 0.995). Every job runs single-threaded
(``THREADS``): the data sets are small, and local tuning runs trials side by side on a couple of cores,
where OpenMP threads only fight each other (a 0.1 s fit took 2 s with two threads under load).

Hyperparameter names are the estimators' own, and the same for both problem types of a framework, so
one set of tuning ranges serves both.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .settings import GENERATED_FRAMEWORK as FRAMEWORK

if TYPE_CHECKING:  # numpy and pandas load on first fit/predict: the pipeline definition imports only the tables
    import numpy as np
    import pandas as pd

FRAMEWORKS = (FRAMEWORK,)
PROBLEM_TYPES = ("binary_classification", "regression")
THREADS = 1
FORMAT = 1  # model.joblib layout version

DEFAULT_HYPERPARAMETERS: dict[str, dict[str, dict[str, str | int | float]]] = {
{%- if cookiecutter.framework == "sklearn" %}
    "sklearn": {
        "binary_classification": {
            "learning_rate": 0.1,
            "max_iter": 100,
            "max_leaf_nodes": 15,
            "min_samples_leaf": 10,
            "l2_regularization": 1.0,
            "seed": 42,
        },
        "regression": {
            "learning_rate": 0.05,
            "max_iter": 100,
            "max_leaf_nodes": 7,
            "min_samples_leaf": 20,
            "l2_regularization": 1.0,
            "seed": 42,
        },
    },
{%- else %}
    "xgboost": {
        "binary_classification": {
            "learning_rate": 0.1,
            "n_estimators": 200,
            "max_depth": 3,
            "min_child_weight": 1,
            "subsample": 0.8,
            "colsample_bytree": 0.8,
            "reg_lambda": 1.0,
            "seed": 42,
        },
        "regression": {
            "learning_rate": 0.03,
            "n_estimators": 300,
            "max_depth": 2,
            "min_child_weight": 5,
            "subsample": 0.8,
            "colsample_bytree": 0.8,
            "reg_lambda": 1.0,
            "seed": 42,
        },
    },
{%- endif %}
}

# Turned into SageMaker parameter ranges and Optuna distributions by the pipeline package.
TUNING_RANGES: dict[str, dict[str, dict[str, Any]]] = {
{%- if cookiecutter.framework == "sklearn" %}
    "sklearn": {
        "learning_rate": {"type": "continuous", "min": 0.01, "max": 0.3, "scaling": "Logarithmic"},
        "max_iter": {"type": "integer", "min": 50, "max": 300, "scaling": "Linear"},
        "max_leaf_nodes": {"type": "integer", "min": 3, "max": 31, "scaling": "Linear"},
        "min_samples_leaf": {"type": "integer", "min": 5, "max": 40, "scaling": "Linear"},
        "l2_regularization": {"type": "continuous", "min": 0.001, "max": 10.0, "scaling": "Logarithmic"},
    },
{%- else %}
    "xgboost": {
        "learning_rate": {"type": "continuous", "min": 0.01, "max": 0.3, "scaling": "Logarithmic"},
        "n_estimators": {"type": "integer", "min": 50, "max": 400, "scaling": "Linear"},
        "max_depth": {"type": "integer", "min": 2, "max": 6, "scaling": "Linear"},
        "min_child_weight": {"type": "integer", "min": 1, "max": 10, "scaling": "Linear"},
        "subsample": {"type": "continuous", "min": 0.5, "max": 1.0, "scaling": "Linear"},
        "colsample_bytree": {"type": "continuous", "min": 0.5, "max": 1.0, "scaling": "Linear"},
        "reg_lambda": {"type": "continuous", "min": 0.001, "max": 10.0, "scaling": "Logarithmic"},
    },
{%- endif %}
}


class HyperparameterError(ValueError):
    """A hyperparameter is unknown or not of its type."""


def _check(framework: str, problem_type: str) -> None:
    if framework not in FRAMEWORKS:
        raise ValueError(f"unknown framework {framework!r}: this repository was generated for {FRAMEWORK}")
    if problem_type not in PROBLEM_TYPES:
        raise ValueError(f"unknown problem type {problem_type!r}; use one of {', '.join(PROBLEM_TYPES)}")


def _convert(name: str, text: str, like: str | int | float) -> str | int | float:
    try:
        if isinstance(like, int):
            number = float(text)
            if not number.is_integer():
                raise ValueError
            return int(number)
        if isinstance(like, float):
            return float(text)
    except ValueError:
        kind = "a whole number" if isinstance(like, int) else "a number"
        raise HyperparameterError(f"hyperparameter {name}={text!r} is not {kind} (default {like})") from None
    return text


def resolve(framework: str, problem_type: str, given: dict[str, str]) -> dict[str, str | int | float]:
    """The defaults overridden by ``given`` (SageMaker passes strings), typed like the defaults.

    Names SageMaker adds itself (``_tuning_objective_metric``, ``sagemaker_*``) are ignored.
    """
    _check(framework, problem_type)
    defaults = DEFAULT_HYPERPARAMETERS[framework][problem_type]
    ours = {k: v for k, v in given.items() if not k.startswith(("_", "sagemaker_"))}
    unknown = sorted(set(ours) - set(defaults))
    if unknown:
        raise HyperparameterError(
            f"unknown hyperparameter(s) {', '.join(unknown)} for {framework} {problem_type}; "
            f"known: {', '.join(sorted(defaults))}"
        )
    return {name: _convert(name, str(ours[name]), like) if name in ours else like for name, like in defaults.items()}


def build(framework: str, problem_type: str, hyperparameters: dict[str, Any]) -> Any:
    """An unfitted, seeded estimator."""
    _check(framework, problem_type)
    params = dict(hyperparameters)
    seed = int(params.pop("seed"))
    classify = problem_type == "binary_classification"
{%- if cookiecutter.framework == "sklearn" %}
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    cls = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
    return cls(**params, early_stopping=False, categorical_features="from_dtype", random_state=seed)
{%- else %}
    import xgboost

    cls = xgboost.XGBClassifier if classify else xgboost.XGBRegressor
    return cls(**params, tree_method="hist", enable_categorical=True, n_jobs=THREADS, random_state=seed)
{%- endif %}


def _limited():
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=THREADS)


def fit(
    framework: str, problem_type: str, hyperparameters: dict[str, Any], features: pd.DataFrame, target: np.ndarray
) -> dict[str, Any]:
    """Fit and return the model bundle that model.joblib holds."""
    import pandas as pd

    estimator = build(framework, problem_type, hyperparameters)
    with _limited():
        estimator.fit(features, target)
    return {
        "format": FORMAT,
        "framework": framework,
        "problem_type": problem_type,
        "features": list(features.columns),
        # The categorical features' categories as fitted: predict_array's codes index these lists.
        "categories": {
            str(name): column.cat.categories.tolist()
            for name, column in features.items()
            if isinstance(column.dtype, pd.CategoricalDtype)
        },
        "hyperparameters": dict(hyperparameters),
        "estimator": estimator,
    }


def _scores(estimator: Any, problem_type: str, data: Any) -> np.ndarray:
    import numpy as np

    if problem_type == "binary_classification":
        return np.asarray(estimator.predict_proba(data))[:, 1].astype(float)
    return np.asarray(estimator.predict(data), dtype=float)


def predict(bundle: dict[str, Any], features: pd.DataFrame) -> np.ndarray:
    """Positive-class probabilities (classification) or predicted values (regression)."""
    frame = features[bundle["features"]]
    with _limited():
        return _scores(bundle["estimator"], bundle["problem_type"], frame)


MODEL_FILE = "model.joblib"


def save(bundle: dict[str, Any], folder) -> None:
    import joblib

    joblib.dump(bundle, folder / MODEL_FILE)


def load(folder) -> dict[str, Any]:
    import joblib

    bundle = joblib.load(folder / MODEL_FILE)
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise ValueError(f"{folder / MODEL_FILE}: not a model bundle of format {FORMAT}")
    if "categories" not in bundle:  # fitted before fit() recorded them: train fitted on schema.json's categories
        from .data import schema as schema_mod

        schema = schema_mod.load(folder / schema_mod.SCHEMA_FILE)
        bundle["categories"] = {f.name: list(f.categories) for f in schema.features if f.dtype == "category"}
    return bundle


# --- The compiled predictor: the fitted trees in treelite's interpreter (GTIL), written next to model.joblib ---
# It skips the estimator's per-call input checks: one row takes ~25 µs against ~500 µs in scikit-learn and
# ~100 µs in XGBoost. Evaluate proves it gives the estimator's predictions before the model can be registered.

COMPILED_FILE = "model.treelite"
COMPILED_LIBRARY = "treelite"
# Largest |compiled - estimator| accepted, relative to the predictions' scale: max(1, max |prediction|).
{%- if cookiecutter.framework == "sklearn" %}
# scikit-learn and treelite both compute in float64: they agreed to 2e-15 relative (2e-16 on probabilities) on
# the demo data and on synthetic data up to the largest tuning ranges; a refit with the learning rate 1% off is
# 8e-3 or more away.
COMPILED_TOLERANCE = 1e-9
# Up to this many rows GTIL is faster; beyond, the estimator's vectorized predict wins (GTIL costs ~6.5 µs a
# row, scikit-learn ~500 µs a call plus ~2.5 µs a row: even at ~100 rows on breast cancer).
COMPILED_MAX_ROWS = 100
{%- else %}
# XGBoost sums its trees in float32, treelite in another order: up to 1.4e-6 relative apart on synthetic
# regression with 400 trees of depth 6 (the largest tuning ranges), 1.2e-7 on probabilities; a refit with the
# learning rate 1% off or another seed is 1e-2 or more away.
COMPILED_TOLERANCE = 1e-5
# Up to this many rows GTIL is faster; beyond, XGBoost's own predict wins (GTIL costs ~8.5 µs a row, XGBoost
# ~100 µs a call plus ~0.9 µs a row: even at ~10 rows on breast cancer).
COMPILED_MAX_ROWS = 10
{%- endif %}


def _treelite_model(bundle: dict[str, Any]) -> Any:
{%- if cookiecutter.framework == "sklearn" %}
    from treelite import sklearn as treelite_sklearn

    return treelite_sklearn.import_model(bundle["estimator"])
{%- else %}
    import treelite

    return treelite.frontend.from_xgboost(bundle["estimator"].get_booster())
{%- endif %}


def to_array(bundle: dict[str, Any], features: pd.DataFrame) -> np.ndarray:
    """Schema-checked ``features`` as predict_array takes them.

    float64 columns in ``bundle["features"]`` order; a categorical feature holds its value's position in
    ``bundle["categories"][name]``, NaN when missing.
    """
    import numpy as np
    import pandas as pd

    names = bundle["features"]
    out = np.empty((len(features), len(names)), dtype=np.float64)
    for i, name in enumerate(names):
        if name in bundle["categories"]:
            codes = pd.Categorical(features[name], categories=bundle["categories"][name]).codes
            out[:, i] = np.where(codes < 0, np.nan, codes)
        else:
            out[:, i] = features[name].to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def _frame(bundle: dict[str, Any], X: np.ndarray) -> pd.DataFrame:
    """``to_array``'s inverse: categories back in the dtype the estimator was fitted with."""
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(X, columns=bundle["features"])
    for name, categories in bundle["categories"].items():
        codes = frame[name].to_numpy()
        frame[name] = pd.Categorical.from_codes(np.where(np.isnan(codes), -1, codes).astype(np.int64), categories)
    return frame


def predict_compiled(compiled: Any, X: np.ndarray) -> np.ndarray:
    """The compiled predictor's scores for ``X`` (as predict_array takes it), whatever the row count."""
    import numpy as np
    from treelite import gtil

    return np.asarray(gtil.predict(compiled, X, nthread=THREADS), dtype=np.float64).reshape(len(X))


def predict_array(bundle: dict[str, Any], compiled: Any | None, X: np.ndarray) -> np.ndarray:
    """The server's hot path: ``predict``'s scores for ``X`` as ``to_array`` makes it, float64 of shape (rows,).

    Uses the compiled predictor (``load_compiled``) up to COMPILED_MAX_ROWS rows, the estimator otherwise. No
    thread limit per call (threadpoolctl takes ~4 ms): the server limits threads once per process.
    """
    if X.ndim != 2 or X.shape[1] != len(bundle["features"]):
        raise ValueError(f"expected an array of shape (rows, {len(bundle['features'])}), got {X.shape}")
    if compiled is not None and len(X) <= COMPILED_MAX_ROWS:
        return predict_compiled(compiled, X)
    if bundle["categories"]:
        return _scores(bundle["estimator"], bundle["problem_type"], _frame(bundle, X))
{%- if cookiecutter.framework == "sklearn" %}
    # The estimator without its fit-time feature names: given an array it would warn on every call, and print
    # it every time (scikit-learn's own catch_warnings resets the once-only registry). Costs ~1 µs of ~500.
    estimator = bundle["estimator"]
    view = object.__new__(type(estimator))
    view.__dict__.update(vars(estimator))
    view.__dict__.pop("feature_names_in_", None)
    return _scores(view, bundle["problem_type"], X)
{%- else %}
    import numpy as np

    # The booster itself: no DMatrix, no feature-name check (~100 µs against ~1 ms for predict_proba on a frame);
    # it returns the positive-class probability (binary:logistic) or the value, with the fitted nthread.
    return np.asarray(bundle["estimator"].get_booster().inplace_predict(X), dtype=np.float64)
{%- endif %}


def compare_compiled(
    bundle: dict[str, Any], compiled: Any, features: pd.DataFrame, expected: np.ndarray
) -> dict[str, Any]:
    """How far the compiled predictor is from the estimator's ``expected`` scores on ``features``.

    Evaluation.json's ``compiled_predictor`` section; it holds when max_abs_difference <= tolerance.
    """
    import numpy as np
    import treelite

    if compiled.num_feature != len(bundle["features"]):
        raise ValueError(f"{COMPILED_FILE} takes {compiled.num_feature} features, the model {len(bundle['features'])}")
    difference = np.abs(predict_compiled(compiled, to_array(bundle, features)) - expected)
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    return {
        "library": COMPILED_LIBRARY,
        "version": treelite.__version__,
        "rows": len(difference),
        "max_abs_difference": float(np.max(difference, initial=0.0)),
        "tolerance": COMPILED_TOLERANCE * scale,
    }


def export_compiled(bundle: dict[str, Any], folder, features: pd.DataFrame, expected: np.ndarray) -> dict[str, Any]:
    """Write the compiled predictor to ``folder`` if it reproduces ``expected`` on ``features``.

    Returns what model.joblib records of it (``bundle["compiled"]``): the library, or None and the reason.
    A model with categorical features gets none: treelite 4.8 disagrees with scikit-learn on them (by tens on
    diabetes) and refuses XGBoost's. The estimator then serves; a failed export never fails training.
    """
    if bundle["categories"]:
        return {
            "library": None,
            "reason": f"categorical feature(s) {', '.join(bundle['categories'])}: treelite does not reproduce "
            "the model on them, so the estimator serves",
        }
    try:
        compiled = _treelite_model(bundle)
        check = compare_compiled(bundle, compiled, features, expected)
        data = compiled.serialize_bytes()
    except Exception as exc:  # a converter's bug or limit must not cost the model
        # treelite's messages start with the time of day: keep model.joblib the same bytes run after run
        message = re.sub(r"\[\d\d:\d\d:\d\d\] ", "", (str(exc).strip().splitlines() or [""])[0])
        return {"library": None, "reason": f"treelite could not convert the model ({type(exc).__name__}: {message})"}
    if not check["max_abs_difference"] <= check["tolerance"]:
        return {
            "library": None,
            "reason": f"treelite's predictions differ from the estimator's by {check['max_abs_difference']:.3g} "
            f"on the validation split (tolerance {check['tolerance']:.3g})",
        }
    (folder / COMPILED_FILE).write_bytes(data)
    return {"library": COMPILED_LIBRARY, "version": check["version"], "file": COMPILED_FILE}


def load_compiled(folder) -> Any | None:
    """The compiled predictor written by train, or None when the model folder holds none."""
    path = folder / COMPILED_FILE
    if not path.is_file():
        return None
    import treelite

    try:
        return treelite.Model.deserialize_bytes(path.read_bytes())
    except treelite.TreeliteError as exc:
        raise ValueError(f"{COMPILED_FILE}: not a treelite model ({exc})") from exc
