"""Train a logistic-regression classifier on the first CSV under /data/inputs.

The CSV has a header row; the last column is the label. Writes model.pkl and
metrics.json to /data/outputs. Runs in Cove's compute sandbox (no network).
"""
import json
import os
import pickle
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

inputs = Path(os.environ.get("COVE_INPUTS", "/data/inputs"))
outputs = Path(os.environ.get("COVE_OUTPUTS", "/data/outputs"))

files = sorted(p for p in inputs.rglob("*") if p.is_file())
if not files:
    sys.exit("no input file under " + str(inputs))
data = np.genfromtxt(files[0], delimiter=",", skip_header=1)
X, y = data[:, :-1], data[:, -1].astype(int)

X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=7, stratify=y)
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
model.fit(X_train, y_train)

metrics = {
    "model": "LogisticRegression",
    "rows": int(X.shape[0]),
    "features": int(X.shape[1]),
    "accuracy": round(float(accuracy_score(y_test, model.predict(X_test))), 4),
    "roc_auc": round(float(roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])), 4),
}
with open(outputs / "model.pkl", "wb") as f:
    pickle.dump(model, f)
(outputs / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
print("trained:", json.dumps(metrics))
