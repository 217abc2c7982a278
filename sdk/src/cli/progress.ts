/** A progress reporter: a bar on a terminal, nothing otherwise (scripts use --json). */
export type Progress = {
  /** Sets the current amount (and the total once known). */
  update(done: number, total?: number, label?: string): void;
  /** Prints a status line (for jobs: state changes). */
  status(text: string): void;
  done(text?: string): void;
};

const WIDTH = 28;

/**
 * A progress bar on stderr when it is a terminal and output is not JSON.
 * @example
 * const bar = createProgress('upload', { enabled: !json });
 * bar.update(512, 1024); bar.done();
 */
export function createProgress(title: string, opts: { enabled: boolean; stream?: NodeJS.WriteStream }): Progress {
  const stream = opts.stream ?? process.stderr;
  const live = opts.enabled && stream.isTTY === true;
  let total = 0;
  let last = 0;
  const draw = (done: number, label = '') => {
    const now = Date.now();
    if (now - last < 80) return;
    last = now;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(frac * WIDTH);
    const amount = total > 0 ? `${formatBytes(done)}/${formatBytes(total)}` : formatBytes(done);
    stream.write(`\r\x1b[2K${title} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${amount} ${label}`);
  };
  return {
    update(done, t, label) {
      if (t !== undefined) total = t;
      if (live) draw(done, label);
    },
    status(text) {
      if (live) stream.write(`\r\x1b[2K${title}: ${text}\n`);
    },
    done(text) {
      if (!live) return;
      last = 0;
      stream.write(`\r\x1b[2K${text ? `${title}: ${text}\n` : ''}`);
    },
  };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
