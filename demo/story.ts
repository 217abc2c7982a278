/** Prints the demo's story: numbered steps, aligned facts, a final verdict. */
export type Story = {
  step(title: string): void;
  fact(label: string, value: unknown): void;
  note(text: string): void;
  elapsed(): number;
};

export function createStory(write: (s: string) => void = (s) => process.stdout.write(s)): Story {
  const started = performance.now();
  let n = 0;
  const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
  return {
    step(title) {
      n += 1;
      const t = ((performance.now() - started) / 1000).toFixed(1).padStart(5);
      write(`\n${bold(`${n}. ${title}`)}  ${process.stdout.isTTY ? '\x1b[2m' : ''}[${t}s]${process.stdout.isTTY ? '\x1b[0m' : ''}\n`);
    },
    fact(label, value) {
      write(`   ${label.padEnd(22)} ${String(value)}\n`);
    },
    note(text) {
      write(`   ${text}\n`);
    },
    elapsed: () => (performance.now() - started) / 1000,
  };
}
