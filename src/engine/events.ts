// What a host run tells the outside while it goes: the renderer (listr2), the recorder in
// tests and, later, an audit trail all listen to the same events; none of them steers the run.
import type { Facts } from './facts.ts';
import type { HostPlan } from './plan.ts';
import type { HostResult, TaskResult } from './types.ts';

/** Where a task or handler sits in its host's plan: role number, then item number within it. */
export interface ItemRef {
  host: string;
  role: number;
  /** Tasks first, then the role's handlers (index = tasks.length + handler number). */
  item: number;
}

export type RunEvent =
  | { type: 'host-start'; host: string }
  | { type: 'host-ready'; host: string; facts: Facts }
  | ({ type: 'task-start'; name: string } & ItemRef)
  | ({ type: 'task-progress'; text: string } & ItemRef)
  | ({ type: 'task-end'; result: TaskResult } & ItemRef)
  | { type: 'log'; host: string; line: string }
  /** Something about the host as a whole worth showing (a lock wait, a lock taken over, a pending handler). */
  | { type: 'host-note'; host: string; text: string }
  | { type: 'host-end'; host: string; result: HostResult }
  /** A batch of a rolling run (serial) starts: these hosts now, the later batches after it. */
  | { type: 'batch-start'; batch: number; batches: number; hosts: string[] };

/** Shows a run. Display code never decides anything about the run. */
export interface Display {
  start(plans: readonly HostPlan[]): void;
  event(e: RunEvent): void;
  /** Resolves when everything is drawn. */
  finish(): Promise<void>;
}

/** Keeps every event (tests, and a run with nothing to draw). */
export class RecordingDisplay implements Display {
  readonly events: RunEvent[] = [];
  start(): void {}
  event(e: RunEvent): void {
    this.events.push(e);
  }
  async finish(): Promise<void> {}
}
