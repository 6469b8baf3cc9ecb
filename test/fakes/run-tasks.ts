// Runs tasks through the real host session over a FakeConnection: the unit tests' way to see
// what a task reads, decides and runs, without SSH.
import { RecordingDisplay } from '../../src/engine/events.ts';
import type { HostPlan, PlannedRole } from '../../src/engine/plan.ts';
import { runHostSession } from '../../src/engine/session.ts';
import type { Handler, HostResult, Task } from '../../src/engine/types.ts';
import { FakeConnection } from './fake-connection.ts';

export interface TaskRun {
  result: HostResult;
  conn: FakeConnection;
  display: RecordingDisplay;
}

export function planOf(roles: { name: string; tasks: Task[]; handlers?: Handler[] }[], secrets: string[] = []): HostPlan {
  const planned: PlannedRole[] = roles.map((r) => ({ name: r.name, tasks: r.tasks, handlers: r.handlers ?? [] }));
  return { name: 'vm1', connection: { name: 'vm1', address: '127.0.0.1', port: 22, user: 'deploy', become: true }, roles: planned, secrets };
}

export async function runTasks(conn: FakeConnection, roles: { name: string; tasks: Task[]; handlers?: Handler[] }[], opts: { check?: boolean; secrets?: string[] } = {}): Promise<TaskRun> {
  const display = new RecordingDisplay();
  const result = await runHostSession(planOf(roles, opts.secrets), { check: opts.check ?? false }, { open: async () => conn, emit: (e) => display.event(e) });
  return { result, conn, display };
}
