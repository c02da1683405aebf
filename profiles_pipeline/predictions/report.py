"""A trained model's holdout, as figures (kept with the model, in JSON) and as one HTML page a
marketer can read: headline numbers with a plain-English sentence each, and the charts behind them
(ROC, precision-recall, lift by decile, calibration, feature importance).

Deciles are equal-count groups by score rank, so they always hold a tenth of the rows each (rows
with tied scores may straddle a boundary). Lift's decile 1 is the highest scores; calibration bins
go from the lowest scores up, as a calibration chart reads left to right."""

from __future__ import annotations

import html
import io
from pathlib import Path

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    mean_absolute_error,
    precision_recall_curve,
    r2_score,
    roc_auc_score,
    roc_curve,
    root_mean_squared_error,
)

TASKS = ("classification", "regression")
DECILES = 10
#: the predicted-vs-actual scatter samples this many points at most: more only blots the chart
MAX_SCATTER_POINTS = 5_000
TOP_IMPORTANCES = 15
_FIGSIZE = (6.4, 4.0)  # inches: two charts side by side on a laptop screen


def _r(x: float) -> float:
    return round(float(x), 4)


def _checked(y_true: np.ndarray, score: np.ndarray, task: str) -> tuple[np.ndarray, np.ndarray]:
    """The holdout as float arrays, or a ValueError saying what makes its figures meaningless."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}, not {task!r}")
    y, s = np.asarray(y_true, dtype=float).ravel(), np.asarray(score, dtype=float).ravel()
    if len(y) == 0 or len(s) == 0:
        raise ValueError("the holdout is empty: there is nothing to evaluate")
    if len(y) != len(s):
        raise ValueError(f"y_true has {len(y)} rows but score has {len(s)}")
    if len(y) < DECILES:
        raise ValueError(f"the holdout has {len(y)} rows: lift by decile needs at least {DECILES}")
    for name, values in (("y_true", y), ("score", s)):
        if not np.isfinite(values).all():
            raise ValueError(f"{name} has {int((~np.isfinite(values)).sum())} missing or infinite values")
    if task == "classification":
        if not np.isin(y, (0, 1)).all():
            raise ValueError(f"y_true must be 0/1 for classification; it holds {sorted(set(y.tolist()))[:5]}")
        if len(np.unique(y)) < 2:
            raise ValueError(f"the holdout has only one class: all {len(y)} rows are {int(y[0])}, "
                             "so AUC and lift are undefined (widen the training window or the sample)")
    elif abs(y.mean()) < 1e-12:
        raise ValueError("y_true averages 0 on the holdout, so lift by decile (÷ the mean) is undefined")
    return y, s


def _deciles(score: np.ndarray) -> list[np.ndarray]:
    """Row indices of the 10 score deciles, highest scores first."""
    return np.array_split(np.argsort(-score, kind="stable"), DECILES)


def evaluate(y_true: np.ndarray, score: np.ndarray, task: str, threshold: float | None = None) -> dict:
    """Figures of a holdout. task "classification": y_true 0/1, score a probability. Returns
    {"auc", "average_precision", "positive_share", "rows", "lift_by_decile": [10 floats, decile 1 =
    highest scores: positive rate in decile / overall rate], "captured_by_top_decile" (share of all
    positives in the top 10%), "calibration": [{"bin", "mean_score", "positive_rate", "rows"} ... 10
    quantile bins, lowest scores first], and when threshold is given "precision", "recall", "f1" at
    score >= threshold}.
    task "regression": {"r2", "mae", "rmse", "rows", "lift_by_decile" (mean y in decile / overall
    mean), "calibration" ([{"bin", "mean_prediction", "mean_actual", "rows"} ...] per decile)}.
    All plain Python floats/ints/lists (JSON-serialisable), rounded to 4 decimals."""
    y, s = _checked(y_true, score, task)
    deciles = _deciles(s)
    overall = y.mean()
    lift = [_r(y[d].mean() / overall) for d in deciles]
    if task == "regression":
        calibration = [{"bin": i + 1, "mean_prediction": _r(s[d].mean()), "mean_actual": _r(y[d].mean()),
                        "rows": len(d)} for i, d in enumerate(reversed(deciles))]
        return {"r2": _r(r2_score(y, s)), "mae": _r(mean_absolute_error(y, s)),
                "rmse": _r(root_mean_squared_error(y, s)), "rows": len(y), "lift_by_decile": lift,
                "calibration": calibration}
    calibration = [{"bin": i + 1, "mean_score": _r(s[d].mean()), "positive_rate": _r(y[d].mean()),
                    "rows": len(d)} for i, d in enumerate(reversed(deciles))]
    figures = {"auc": _r(roc_auc_score(y, s)), "average_precision": _r(average_precision_score(y, s)),
               "positive_share": _r(overall), "rows": len(y), "lift_by_decile": lift,
               "captured_by_top_decile": _r(y[deciles[0]].sum() / y.sum()), "calibration": calibration}
    if threshold is not None:
        flagged = s >= threshold
        tp = float(y[flagged].sum())
        precision = tp / flagged.sum() if flagged.any() else 0.0  # sklearn's zero_division=0
        recall = tp / y.sum()
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        figures |= {"precision": _r(precision), "recall": _r(recall), "f1": _r(f1)}
    return figures


def _headlines(task: str, figures: dict) -> list[tuple[str, str, str]]:
    """(name, value, the sentence a marketer reads) for each headline number."""
    top = figures["lift_by_decile"][0]
    if task == "regression":
        r2 = figures["r2"]
        explained = (f"The model explains {r2:.0%} of the differences between users' actual values "
                     "(0% would be no better than predicting the average for everyone)." if r2 >= 0 else
                     "The model predicts worse than giving every user the average value.")
        return [("R²", f"{r2:.3f}", explained),
                ("MAE", f"{figures['mae']:,.4g}", f"On average a prediction is off by {figures['mae']:,.4g} "
                 f"(RMSE {figures['rmse']:,.4g}, which weighs the big misses more)."),
                ("Top-decile lift", f"{top:.1f}×", f"Users in the top 10% by prediction have {top:.1f}× "
                 "the average actual value.")]
    base = figures["positive_share"]
    found = [("AUC", f"{figures['auc']:.3f}", f"Given one user who converted and one who did not, the model "
              f"scores the converter higher {figures['auc']:.0%} of the time (50% is a coin flip)."),
             ("Average precision", f"{figures['average_precision']:.3f}", "How pure the top of the list stays "
              f"as you go down it, averaged; ordering users at random would score the base rate, {base:.1%}."),
             ("Top-decile lift", f"{top:.1f}×", f"Users in the top 10% by score are {top:.1f}× as likely "
              f"to convert as the average user ({base:.1%} convert overall)."),
             ("Captured by the top 10%", f"{figures['captured_by_top_decile']:.0%}", "Share of all converters "
              "found by contacting only the top 10% by score.")]
    if "precision" in figures:
        found.append(("Precision / recall", f"{figures['precision']:.0%} / {figures['recall']:.0%}",
                      f"At the chosen threshold, {figures['precision']:.0%} of the flagged users convert, and "
                      f"{figures['recall']:.0%} of all converters are flagged (F1 {figures['f1']:.3f})."))
    return found


def _charts(task: str, y: np.ndarray, s: np.ndarray, figures: dict,
            importances: dict[str, float]) -> list[tuple[str, str]]:
    """(title, inline SVG) of each chart. Figures are plain `Figure`s: no pyplot state to leak."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    def svg(fig: Figure) -> str:
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
        text = buffer.getvalue()
        return text[text.index("<svg"):]  # drop the XML prologue and DOCTYPE: the page embeds it

    def axes(xlabel: str, ylabel: str, height: float = _FIGSIZE[1]):
        fig = Figure(figsize=(_FIGSIZE[0], height), layout="constrained")
        ax = fig.add_subplot()
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        return fig, ax

    charts: list[tuple[str, str]] = []
    rc = {"svg.fonttype": "none", "svg.hashsalt": "profiles-report", "font.size": 10,
          "axes.spines.top": False, "axes.spines.right": False}
    with matplotlib.rc_context(rc):
        if task == "classification":
            fpr, tpr, _ = roc_curve(y, s)
            fig, ax = axes("False positive rate (share of non-converters flagged)",
                           "True positive rate (share of converters flagged)")
            ax.plot(fpr, tpr, label=f"model (AUC {figures['auc']:.3f})")
            ax.plot([0, 1], [0, 1], "--", color="grey", label="random order")
            ax.legend(loc="lower right")
            charts.append(("ROC curve", svg(fig)))

            precision, recall, _ = precision_recall_curve(y, s)
            fig, ax = axes("Recall (share of converters found)", "Precision (share of flagged who convert)")
            ax.plot(recall, precision, drawstyle="steps-post",
                    label=f"model (average precision {figures['average_precision']:.3f})")
            ax.axhline(figures["positive_share"], linestyle="--", color="grey",
                       label=f"base rate ({figures['positive_share']:.1%})")
            ax.set_ylim(0, 1.02)
            ax.legend(loc="upper right")
            charts.append(("Precision-recall curve", svg(fig)))
        else:
            shown = np.random.default_rng(0).choice(len(y), MAX_SCATTER_POINTS, replace=False) \
                if len(y) > MAX_SCATTER_POINTS else np.arange(len(y))
            fig, ax = axes("Actual value", "Predicted value")
            ax.scatter(y[shown], s[shown], s=6, alpha=0.35, linewidths=0)
            low, high = min(y.min(), s.min()), max(y.max(), s.max())
            ax.plot([low, high], [low, high], "--", color="grey", label="perfect prediction")
            ax.legend(loc="upper left")
            sampled = f" (a random {len(shown):,} of {len(y):,} users)" if len(shown) < len(y) else ""
            charts.append(("Predicted vs actual" + sampled, svg(fig)))

        noun = "score" if task == "classification" else "prediction"
        fig, ax = axes(f"Share of users, by {noun} decile",
                       "Lift (× the average rate)" if task == "classification" else "Lift (× the average value)")
        bars = ax.bar(range(DECILES), figures["lift_by_decile"], color="#3b75af")
        ax.bar_label(bars, fmt="%.1f×", fontsize=8)
        ax.axhline(1, linestyle="--", color="grey", label="average user")
        ax.set_xticks(range(DECILES), ["top 10%"] + [f"{10 * i}–{10 * i + 10}%" for i in range(1, DECILES)],
                      rotation=30)
        ax.legend(loc="upper right")
        charts.append(("Lift by decile", svg(fig)))

        bins = figures["calibration"]
        if task == "classification":
            x, observed = [b["mean_score"] for b in bins], [b["positive_rate"] for b in bins]
            fig, ax = axes("Mean score in the bin (predicted chance)", "Observed conversion rate")
        else:
            x, observed = [b["mean_prediction"] for b in bins], [b["mean_actual"] for b in bins]
            fig, ax = axes("Mean prediction in the decile", "Mean actual value")
        ax.plot(x, observed, "o-", label="model")
        low, high = min(min(x), min(observed)), max(max(x), max(observed))
        if task == "classification":
            low = 0.0
        ax.plot([low, high], [low, high], "--", color="grey", label="perfectly calibrated")
        ax.legend(loc="upper left")
        charts.append(("Calibration", svg(fig)))

        if importances:
            top = sorted(importances.items(), key=lambda kv: kv[1], reverse=True)[:TOP_IMPORTANCES][::-1]
            fig, ax = axes("Importance (how much the model leans on the feature)", "",
                           height=max(2.0, 0.3 * len(top) + 1.0))
            # a feature named like `a$b$` would otherwise be typeset as mathtext
            ax.barh([name.replace("$", r"\$") for name, _ in top], [v for _, v in top], color="#3b75af")
            ax.grid(axis="y", visible=False)
            title = f"Feature importance (top {len(top)})" if len(importances) > len(top) else "Feature importance"
            charts.append((title, svg(fig)))
    return charts


_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1400px;
       padding: 0 1rem; color: #222; }
h1 { margin-bottom: 0.2rem; } .task { color: #666; margin-top: 0; }
table.facts { border-collapse: collapse; margin: 1rem 0; }
table.facts th, table.facts td { text-align: left; vertical-align: top; padding: 0.3rem 0.8rem;
                                 border-bottom: 1px solid #ddd; }
table.facts th { color: #555; font-weight: 600; white-space: nowrap; }
.headlines { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: 1rem; }
.headline { border: 1px solid #ddd; border-radius: 6px; padding: 0.8rem 1rem; }
.headline .value { font-size: 1.8rem; font-weight: 600; } .headline .name { color: #555; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 1.5rem; }
figure { margin: 0; } figure svg { max-width: 100%; height: auto; }
"""


def write_report(path: Path, *, model_name: str, task: str, y_true: np.ndarray, score: np.ndarray,
                 figures: dict, importances: dict[str, float], facts: dict[str, str]) -> Path:
    """One self-contained HTML page (inline CSS and SVG, no external assets, so it can be mailed or
    attached as is): the model name and `facts` (a two-column table, in the order given), the
    headline numbers of `figures` with a sentence each, and the charts. Creates parent folders."""
    y, s = _checked(y_true, score, task)
    e = html.escape
    facts_rows = "".join(f"<tr><th>{e(str(k))}</th><td>{e(str(v))}</td></tr>" for k, v in facts.items())
    cards = "".join(f'<div class="headline"><div class="name">{e(name)}</div><div class="value">{e(value)}</div>'
                    f"<p>{e(sentence)}</p></div>" for name, value, sentence in _headlines(task, figures))
    charts = "".join(f"<figure><h3>{e(title)}</h3>{svg}</figure>"
                     for title, svg in _charts(task, y, s, figures, importances))
    kind = "classification (propensity)" if task == "classification" else "regression"
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{e(model_name)}: prediction report</title><style>{_STYLE}</style></head><body>"
            f"<h1>{e(model_name)}</h1><p class=\"task\">Prediction report: {kind}, measured on a holdout of "
            f"{len(y):,} users the model did not train on.</p>"
            f'<table class="facts">{facts_rows}</table>'
            f'<h2>Headline numbers</h2><div class="headlines">{cards}</div>'
            f'<h2>Charts</h2><div class="charts">{charts}</div></body></html>\n')
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
