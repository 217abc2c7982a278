/**
 * Scores a `cove-logreg-v1` model (the `model.json` examples/algorithms/train-logreg
 * writes) on a CSV: plain arithmetic on plain weights, so loading a model runs no code —
 * unlike unpickling one. Used by the demo and the story test to show the JSON model
 * reproduces the metrics its job reported.
 */

/** Logistic-regression weights as JSON: `z = (x - scaler.mean) / scaler.scale`, `P(classes[1]) = σ(coef·z + intercept)`. */
export type LogregModel = {
  format: 'cove-logreg-v1';
  features: string[];
  label?: string;
  coef: number[];
  intercept: number;
  classes: [number, number];
  scaler?: { mean: number[]; scale: number[] };
};

export type ScoreReturnType = {
  /** How many rows were scored. */
  rows: number;
  accuracy: number;
  rocAuc: number;
  /** Mean squared error of `P(classes[1])`: every prediction moves it. */
  brier: number;
};

const finiteArray = (v: unknown, n: number): v is number[] => Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/**
 * Parses `model.json`, refusing anything but a well-formed `cove-logreg-v1` model.
 * @example
 * const model = parseLogregModel(await readFile('results/model.json', 'utf8'));
 */
export function parseLogregModel(json: string): LogregModel {
  const m = JSON.parse(json) as Partial<LogregModel>;
  const n = Array.isArray(m.features) ? m.features.length : -1;
  const ok =
    m.format === 'cove-logreg-v1' &&
    n > 0 &&
    m.features!.every((f) => typeof f === 'string') &&
    finiteArray(m.coef, n) &&
    typeof m.intercept === 'number' &&
    Number.isFinite(m.intercept) &&
    finiteArray(m.classes, 2) &&
    (m.scaler === undefined || (finiteArray(m.scaler.mean, n) && finiteArray(m.scaler.scale, n) && m.scaler.scale.every((s) => s !== 0)));
  if (!ok) throw new Error('model.json is not a cove-logreg-v1 model');
  return m as LogregModel;
}

/** `P(classes[1])` for one row of the model's features, in its order. */
export function predictProba(model: LogregModel, x: number[]): number {
  let z = model.intercept;
  for (let i = 0; i < model.coef.length; i++) z += model.coef[i]! * (model.scaler ? (x[i]! - model.scaler.mean[i]!) / model.scaler.scale[i]! : x[i]!);
  return 1 / (1 + Math.exp(-z));
}

/** ROC AUC as the Mann-Whitney statistic (ties count half), which equals the trapezoidal area. */
function rocAuc(scores: number[], positive: boolean[]): number {
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && order[j]![0] === order[i]![0]) j++;
    const rank = (i + 1 + j) / 2; // average 1-based rank of the tie group
    for (let k = i; k < j; k++) if (positive[order[k]![1]]) rankSum += rank;
    i = j;
  }
  const pos = positive.filter(Boolean).length;
  const neg = positive.length - pos;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Scores `model` on a CSV whose header names its features (then the label, last), on the
 * data rows `rows` (0-based, header excluded) or on all of them.
 * @example
 * const s = scoreCsv({ model, csv: await readFile('data.csv', 'utf8'), rows: metrics.heldout_rows });
 * s.accuracy; // 0.979
 */
export function scoreCsv(params: { model: LogregModel; csv: string; rows?: number[] }): ScoreReturnType {
  const { model } = params;
  const [head, ...lines] = params.csv.trim().split('\n');
  const columns = head!.split(',');
  if (columns.slice(0, -1).join(',') !== model.features.join(',')) throw new Error('the CSV columns are not the model features');
  const picked = params.rows ?? lines.map((_, i) => i);
  const proba: number[] = [];
  const positive: boolean[] = [];
  for (const r of picked) {
    const cells = lines[r]!.split(',').map(Number);
    proba.push(predictProba(model, cells.slice(0, -1)));
    positive.push(cells.at(-1) === model.classes[1]);
  }
  // sklearn predicts classes[1] when the decision function is > 0, i.e. P > 0.5.
  const correct = proba.filter((p, i) => p > 0.5 === positive[i]).length;
  const brier = proba.reduce((s, p, i) => s + (p - (positive[i] ? 1 : 0)) ** 2, 0) / proba.length;
  return { rows: picked.length, accuracy: correct / picked.length, rocAuc: rocAuc(proba, positive), brier };
}
