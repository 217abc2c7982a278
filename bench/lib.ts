/** One measured figure. `ratio` compares it with a baseline measured in the same run. */
export type BenchRow = {
  suite: string;
  name: string;
  value: number;
  unit: string;
  /** The baseline row's name, when this figure is compared against one. */
  baseline?: string;
  /** value / baseline value (for times, >1 = slower; for throughputs, <1 = slower). */
  ratio?: number;
  note?: string;
};

export type BenchSuite = { name: string; run: () => Promise<BenchRow[]> };

/** Adds `baseline` and `ratio` to `row` against `base`. */
export function against(row: BenchRow, base: BenchRow): BenchRow {
  return { ...row, baseline: base.name, ratio: row.value / base.value };
}

/** Median of `xs` (the upper middle of an even count). */
export function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

/** Median of `n` timed runs of `fn`, in milliseconds. */
export async function medianMs(n: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

export function formatTable(rows: BenchRow[]): string {
  const cells = rows.map((r) => [
    r.suite,
    r.name,
    `${r.value.toFixed(r.value < 10 ? 2 : 1)} ${r.unit}`,
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}× ${r.baseline}`,
    r.note ?? '',
  ]);
  const head = ['suite', 'figure', 'value', 'vs baseline', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
