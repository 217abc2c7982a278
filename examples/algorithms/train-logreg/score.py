"""Score model.json (format cove-logreg-v1, written by algorithm.py) on a CSV.

Standard library only, and no pickle: loading the model reads numbers, it runs no code.

    python3 score.py model.json data.csv [metrics.json]

The CSV's header names the model's features, then the label (last). With metrics.json,
only its held-out rows are scored, which reproduces the job's accuracy, ROC AUC and Brier
score.
"""
import csv
import json
import math
import sys


def load_model(path):
    with open(path) as f:
        model = json.load(f)
    if model.get("format") != "cove-logreg-v1":
        raise ValueError(path + " is not a cove-logreg-v1 model")
    return model


def predict_proba(model, x):
    """P(classes[1]) for one row of the model's features, in its order."""
    scaler = model.get("scaler")
    z = model["intercept"]
    for i, w in enumerate(model["coef"]):
        z += w * ((x[i] - scaler["mean"][i]) / scaler["scale"][i] if scaler else x[i])
    return 1 / (1 + math.exp(-z))


def score(model, csv_path, rows=None):
    with open(csv_path, newline="") as f:
        header, *data = list(csv.reader(f))
    if header[:-1] != model["features"]:
        raise ValueError("the CSV columns are not the model features")
    picked = [data[i] for i in rows] if rows is not None else data
    proba = [predict_proba(model, [float(v) for v in r[:-1]]) for r in picked]
    positive = [float(r[-1]) == model["classes"][1] for r in picked]
    n = len(picked)
    ranked = sorted(range(n), key=lambda i: proba[i])
    rank_sum, i = 0.0, 0
    while i < n:  # Mann-Whitney U, ties count half: the trapezoidal ROC AUC
        j = i
        while j < n and proba[ranked[j]] == proba[ranked[i]]:
            j += 1
        rank_sum += (i + 1 + j) / 2 * sum(positive[ranked[k]] for k in range(i, j))
        i = j
    pos = sum(positive)
    return {
        "rows": n,
        "accuracy": sum((p > 0.5) == y for p, y in zip(proba, positive)) / n,
        "roc_auc": (rank_sum - pos * (pos + 1) / 2) / (pos * (n - pos)),
        "brier": sum((p - y) ** 2 for p, y in zip(proba, positive)) / n,
    }


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    rows = None
    if len(sys.argv) == 4:
        with open(sys.argv[3]) as f:
            rows = json.load(f)["heldout_rows"]
    print(json.dumps(score(load_model(sys.argv[1]), sys.argv[2], rows)))
