/**
 * Live progress on stderr, drawn by cli-progress: bytes of total, rate and ETA for uploads and
 * downloads, a ticking state line for jobs. Only on a terminal (stderr a TTY, TERM not
 * `dumb`) and not with --json: elsewhere nothing is drawn and no escape code is written.
 * Colour only where NO_COLOR is unset (https://no-color.org) and FORCE_COLOR is not 0.
 */
import cliProgress from 'cli-progress';

/** A progress reporter: live on a terminal, silent otherwise (scripts use --json). */
export type Progress = {
  /** Sets the current amount (and the total once known). */
  update(done: number, total?: number, label?: string): void;
  /** Prints a line that stays (a stage, a job's state change): above the live line on a terminal. */
  status(text: string): void;
  /** Removes the live line; prints `text` as a last status when given. */
  done(text?: string): void;
};

export type ProgressOptions = {
  /** False draws nothing (--json). */
  enabled: boolean;
  /** Default process.stderr. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Default process.env (NO_COLOR, FORCE_COLOR, TERM). */
  env?: NodeJS.ProcessEnv;
  /** Where nothing is drawn live (not a terminal), still print status lines as plain text. */
  plainStatus?: boolean;
};

/** What the stream can show: a live line, and colour. */
export function terminalOf(opts: ProgressOptions): { live: boolean; color: boolean } {
  const stream = opts.stream ?? process.stderr;
  const env = opts.env ?? process.env;
  const live = opts.enabled && stream.isTTY === true && env.TERM !== 'dumb';
  const color = live && (env.NO_COLOR === undefined || env.NO_COLOR === '') && env.FORCE_COLOR !== '0';
  return { live, color };
}

/** Wraps `text` in an SGR colour when `on`. */
export function paint(on: boolean, code: 'cyan' | 'green' | 'red' | 'dim', text: string): string {
  const sgr = { cyan: 36, green: 32, red: 31, dim: 2 }[code];
  return on ? `\x1b[${sgr}m${text}\x1b[0m` : text;
}

const BAR_WIDTH = 24;

/** `m:ss` (or `h:mm:ss`). */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hms = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const [h, m, sec] = hms as [number, number, number];
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

/** The bytes line: `title [bar] 1.2 MiB / 4.0 MiB  512 KiB/s  ETA 0:06  label` (no bar or ETA while the total is unknown). */
export function formatBytesLine(p: { title: string; done: number; total: number; seconds: number; label?: string; color: boolean; from?: number }): string {
  // The rate counts the bytes since the line started (`from`), not those before it.
  const rate = p.seconds > 0 ? (p.done - (p.from ?? 0)) / p.seconds : 0;
  const parts = [p.title];
  if (p.total > 0) {
    const filled = Math.round(Math.min(1, p.done / p.total) * BAR_WIDTH);
    parts.push(`${paint(p.color, 'cyan', '█'.repeat(filled))}${'░'.repeat(BAR_WIDTH - filled)}`, `${formatBytes(p.done)} / ${formatBytes(p.total)}`);
  } else parts.push(formatBytes(p.done));
  if (rate > 0) parts.push(`${formatBytes(rate)}/s`);
  if (p.total > 0 && rate > 0) parts.push(`ETA ${formatDuration(Math.max(0, p.total - p.done) / rate)}`);
  if (p.label) parts.push(paint(p.color, 'dim', p.label));
  return parts.join('  ');
}

/**
 * A live line redrawn by cli-progress at 10 fps from `format` (given the seconds since it
 * started), with status lines printed above it; a no-op where the stream is no terminal.
 */
function createLive(opts: ProgressOptions, format: (seconds: number) => string): { status(text: string): void; redraw(): void; stop(): void } | undefined {
  if (!terminalOf(opts).live) return undefined;
  const stream = (opts.stream ?? process.stderr) as NodeJS.WriteStream;
  // The line is cut to the terminal's width here, so cli-progress need not turn line wrapping
  // off (an escape a Ctrl-C would leave behind); the cursor is never hidden, for the same reason.
  const fit = (line: string, width: number) => (line.length < width ? line : line.replace(/\x1b\[[0-9;]*m/g, '').slice(0, Math.max(1, width - 1)));
  const multi = new cliProgress.MultiBar({ stream, format: (_o, params) => fit(format((Date.now() - params.startTime) / 1000), params.maxWidth), clearOnComplete: true, hideCursor: false, fps: 10, linewrap: true });
  multi.create(1, 0);
  return {
    status: (text) => multi.log(`${text}\n`),
    redraw: () => multi.update(),
    stop: () => {
      multi.update();
      multi.stop();
    },
  };
}

/**
 * Bytes progress on stderr (see the module's rules for when it draws).
 * @example
 * const bar = createProgress('upload', { enabled: !json });
 * bar.update(512, 1024); bar.done();
 */
export function createProgress(title: string, opts: ProgressOptions): Progress {
  const { live, color } = terminalOf(opts);
  const stream = opts.stream ?? process.stderr;
  const state = { done: 0, total: 0, label: '', from: 0 };
  let line: ReturnType<typeof createLive>;
  const plain = (text: string) => {
    if (live || opts.plainStatus === true) stream.write(`${title}: ${text}\n`);
  };
  return {
    update(done, total, label) {
      // A new stage (label) is a new line: its rate and ETA count from its own start.
      if (label !== undefined && label !== state.label) {
        line?.stop();
        line = undefined;
        state.label = label;
      }
      state.done = done;
      if (total !== undefined) state.total = total;
      if (line === undefined) {
        state.from = done;
        line = createLive(opts, (seconds) => formatBytesLine({ title, ...state, seconds, color }));
      }
    },
    status(text) {
      if (line !== undefined) line.status(`${title}: ${text}`);
      else plain(text);
    },
    done(text) {
      line?.stop();
      line = undefined;
      if (text !== undefined) plain(text);
    },
  };
}

/**
 * A ticking line for a job (`job 0x7099…19eeba  running  0:42`: `elapsed()` seconds) with its state changes above it on
 * a terminal; elsewhere, with `plainStatus`, the state changes as plain lines.
 */
export function createJobView(jobId: string, opts: ProgressOptions & { elapsed: () => number }): { state(text: string, line?: string): void; done(): void } {
  const stream = opts.stream ?? process.stderr;
  let current = '';
  // A job id begins with its provider's address: its end tells one job from another.
  const live = createLive(opts, () => `job ${jobId.slice(0, 6)}…${jobId.slice(-6)}  ${current}  ${formatDuration(opts.elapsed())}`);
  return {
    state(text, line) {
      current = text;
      if (line === undefined) return;
      if (live !== undefined) live.status(line);
      else if (opts.plainStatus === true && opts.enabled) stream.write(`${line}\n`);
    },
    done: () => live?.stop(),
  };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
