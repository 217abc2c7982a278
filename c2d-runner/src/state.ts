import { TERMINAL_STATES, type JobState, type TerminalState } from './types.js';

const NEXT: Record<JobState, readonly JobState[]> = {
  queued: ['starting', 'stopped', 'engine_error'],
  starting: ['running', 'stopped', 'engine_error'],
  running: ['collecting', 'failed', 'timed_out', 'oom_killed', 'stopped', 'engine_error'],
  collecting: ['succeeded', 'failed', 'timed_out', 'output_rejected', 'stopped', 'engine_error'], // timed_out: the output check counts against the wall clock
  succeeded: [],
  failed: [],
  timed_out: [],
  oom_killed: [],
  stopped: [],
  output_rejected: [],
  engine_error: [],
};

/** True for the states a job never leaves. */
export function isTerminal(state: JobState): state is TerminalState {
  return (TERMINAL_STATES as readonly string[]).includes(state);
}

/**
 * Whether the state machine allows `from → to`. `null` is a job not yet known: a new job
 * enters `queued`; a job adopted after a restart enters `running`.
 */
export function canTransition(from: JobState | null, to: JobState): boolean {
  return from === null ? to === 'queued' || to === 'running' : NEXT[from].includes(to);
}
