"""Write scikit-learn's bundled breast-cancer dataset as CSV (30 features, then the label) to stdout."""
import csv
import sys

from sklearn.datasets import load_breast_cancer

d = load_breast_cancer()
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow([n.replace(" ", "_") for n in d.feature_names] + ["target"])
for row, label in zip(d.data, d.target):
    w.writerow([repr(float(v)) for v in row] + [int(label)])
