"""Train a logistic-regression classifier on the first CSV under /data/inputs.

The CSV has a header row; the last column is the label. Writes to /data/outputs:

- model.json: the fitted weights as plain JSON (format "cove-logreg-v1"), never a
  pickle, so loading the model runs no code on the buyer's machine. For a row x of
  `features` (in that order):
      z = (x - scaler.mean) / scaler.scale            (per feature)
      P(classes[1]) = 1 / (1 + exp(-(coef . z + intercept)))
  and the prediction is classes[1] when coef . z + intercept > 0.
- metrics.json: held-out accuracy and ROC AUC (rounded), the held-out Brier score at
  full precision, and which data rows were held out (0-based, header excluded), so
  whoever holds the data can rescore model.json and get the same numbers. No per-row
  prediction leaves: that would be a near-copy of the label column.

Runs in Cove's compute sandbox (no network).
"""
import csv
import json
import os
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

inputs = Path(os.environ.get("COVE_INPUTS", "/data/inputs"))
outputs = Path(os.environ.get("COVE_OUTPUTS", "/data/outputs"))

files = sorted(p for p in inputs.rglob("*") if p.is_file())
if not files:
    sys.exit("no input file under " + str(inputs))
with open(files[0], newline="") as f:
    header = next(csv.reader(f))
data = np.genfromtxt(files[0], delimiter=",", skip_header=1)
X, y = data[:, :-1], data[:, -1].astype(int)

rows = np.arange(X.shape[0])
train, test = train_test_split(rows, test_size=0.25, random_state=7, stratify=y)
scaler, logreg = StandardScaler(), LogisticRegression(max_iter=1000)
model = make_pipeline(scaler, logreg)
model.fit(X[train], y[train])
proba = model.predict_proba(X[test])[:, 1]


def write_json(path, doc):
    """One key a line, lists kept on their line (readable with `cat`, still plain JSON)."""
    lines = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in doc.items())
    path.write_text("{\n" + lines + "\n}\n")


write_json(outputs / "model.json", {
    "format": "cove-logreg-v1",
    "features": header[:-1],
    "label": header[-1],
    "coef": logreg.coef_[0].tolist(),
    "intercept": float(logreg.intercept_[0]),
    "classes": [int(c) for c in logreg.classes_],
    "scaler": {"mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist()},
})
metrics = {
    "model": "LogisticRegression",
    "rows": int(X.shape[0]),
    "features": int(X.shape[1]),
    "accuracy": round(float(accuracy_score(y[test], model.predict(X[test]))), 4),
    "roc_auc": round(float(roc_auc_score(y[test], proba)), 4),
    "brier": float(brier_score_loss(y[test], proba)),
    "heldout_rows": sorted(int(i) for i in test),
}
write_json(outputs / "metrics.json", metrics)
print("trained:", json.dumps({k: v for k, v in metrics.items() if k != "heldout_rows"}))
