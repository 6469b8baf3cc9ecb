// The listr2 tree host → role → task, drawn from run events. Each listr task only waits for
// the event of its item and shows it; a failed item throws inside listr just to be drawn as
// failed. The run itself never depends on anything here.
import { Listr, type ListrRendererFactory, type ListrTask, type ListrTaskWrapper } from 'listr2';
import type { Display, ItemRef, RunEvent } from './events.ts';
import type { Facts } from './facts.ts';
import type { HostPlan } from './plan.ts';
import type { HostResult, TaskResult } from './types.ts';

export type RendererName = 'default' | 'simple' | 'verbose';

type Wrapper = ListrTaskWrapper<unknown, ListrRendererFactory, ListrRendererFactory>;

class Deferred<T> {
  resolve!: (v: T) => void;
  settled = false;
  readonly promise = new Promise<T>((r) => {
    this.resolve = (v) => {
      if (this.settled) return;
      this.settled = true;
      r(v);
    };
  });
}

interface HostView {
  ready: Deferred<Facts | undefined>;
  end: Deferred<HostResult>;
  items: Map<string, Deferred<TaskResult | undefined>>;
  wrappers: Map<string, Wrapper>;
  host?: Wrapper;
  current?: Wrapper;
  /** Why items without a result were not run (set at host-end). */
  notRun: string;
  /** " [batch 2/3]" in a rolling run, once the host's batch has started. */
  batch: string;
  /** The host's title without the batch (its name, then its OS once known). */
  name: string;
}

const key = (r: Pick<ItemRef, 'role' | 'item'>) => `${r.role}/${r.item}`;

function title(t: TaskResult): string {
  const why = t.reason ? `: ${t.reason.split('\n')[0]}` : '';
  return `${t.name} [${t.status}${why}]`;
}

export class ListrDisplay implements Display {
  private readonly hosts = new Map<string, HostView>();
  private running: Promise<void> = Promise.resolve();
  /** What a host of a later batch shows while it waits (rolling runs only). */
  private waiting = '';
  private batches = 0;

  constructor(
    private readonly renderer: RendererName,
    private readonly verbose: boolean,
  ) {}

  start(plans: readonly HostPlan[]): void {
    const tasks: ListrTask[] = plans.map((plan) => {
      const view: HostView = { ready: new Deferred(), end: new Deferred(), items: new Map(), wrappers: new Map(), notRun: 'not run', batch: '', name: plan.name };
      this.hosts.set(plan.name, view);
      plan.roles.forEach((role, ri) => {
        for (let i = 0; i < role.tasks.length + role.handlers.length; i++) view.items.set(key({ role: ri, item: i }), new Deferred());
      });
      return {
        title: plan.name,
        task: async (_c: unknown, w: Wrapper) => {
          view.host = w;
          view.current = w;
          w.title = view.name + view.batch;
          if (!view.batch && this.waiting) w.output = this.waiting;
          const facts = await view.ready.promise;
          if (!facts) {
            const r = await view.end.promise;
            if (r.notRun) {
              const batch = r.batch !== undefined ? ` [batch ${r.batch}/${this.batches}]` : '';
              w.skip(`${plan.name}${batch}: not run: ${r.notRun}`);
              return;
            }
            throw new Error(`${plan.name}: ${r.unreachable ? 'unreachable: ' : ''}${r.error ?? 'failed'}`);
          }
          view.name = `${plan.name} (${facts.os.prettyName || facts.os.id})`;
          w.title = view.name + view.batch;
          return w.newListr(
            plan.roles.map((role, ri) => ({
              title: role.name,
              task: (_c2: unknown, rw: Wrapper) =>
                rw.newListr(
                  [...role.tasks.map((t) => t.name), ...role.handlers.map((h) => `handler: ${h.name}`)].map((name, i) => this.item(view, ri, i, name, i >= role.tasks.length)),
                  { concurrent: false, exitOnError: false },
                ),
            })),
            { concurrent: false, exitOnError: false },
          );
        },
      };
    });
    const list = new Listr(tasks, {
      concurrent: true,
      exitOnError: false,
      renderer: this.renderer,
      fallbackRenderer: 'simple',
      fallbackRendererCondition: this.renderer === 'default' ? () => !process.stdout.isTTY : false,
      rendererOptions: { collapseSubtasks: false, collapseSkips: false, showSkipMessage: true, showErrorMessage: true },
      registerSignalListeners: false,
    } as ConstructorParameters<typeof Listr>[1]);
    this.running = list.run().then(
      () => undefined,
      () => undefined,
    );
  }

  private item(view: HostView, role: number, item: number, name: string, handler: boolean): ListrTask {
    return {
      title: name,
      task: async (_c: unknown, w: Wrapper) => {
        view.wrappers.set(key({ role, item }), w);
        const r = await view.items.get(key({ role, item }))?.promise;
        if (!r) {
          w.skip(handler && view.notRun === 'not run' ? 'not notified' : view.notRun);
          return;
        }
        if (r.status === 'failed') throw new Error(`${name}: ${(r.reason ?? 'failed').split('\n')[0]}`);
        if (r.status === 'skipped') {
          w.skip(r.reason ?? 'skipped');
          return;
        }
        w.title = title(r);
      },
    };
  }

  /** A rolling run's batch starts: its hosts say which batch they are, the later ones wait. */
  private batchStart(batch: number, batches: number, hosts: readonly string[]): void {
    this.batches = batches;
    this.waiting = `waits for a later batch (batch ${batch}/${batches} is running)`;
    for (const [name, view] of this.hosts) {
      if (hosts.includes(name)) {
        view.batch = ` [batch ${batch}/${batches}]`;
        if (view.host) {
          view.host.title = view.name + view.batch;
          view.host.output = '';
        }
      } else if (!view.batch && !view.end.settled && view.host) {
        view.host.output = this.waiting;
      }
    }
  }

  event(e: RunEvent): void {
    if (e.type === 'batch-start') {
      this.batchStart(e.batch, e.batches, e.hosts);
      return;
    }
    const view = this.hosts.get(e.host);
    if (!view) return;
    switch (e.type) {
      case 'host-ready':
        view.ready.resolve(e.facts);
        break;
      case 'task-start':
        view.current = view.wrappers.get(key(e)) ?? view.current;
        break;
      case 'task-progress': {
        const w = view.wrappers.get(key(e));
        if (w) w.output = e.text;
        break;
      }
      case 'task-end':
        view.items.get(key(e))?.resolve(e.result);
        break;
      case 'log':
        if (this.verbose && view.current) view.current.output = e.line;
        break;
      case 'host-note':
        if (view.host) view.host.output = e.text;
        else if (!this.verbose) process.stderr.write(`${e.host}: ${e.text}\n`);
        break;
      case 'host-end':
        view.notRun = e.result.failed || e.result.unreachable ? `not run: ${(e.result.error ?? 'an earlier task failed').split('\n')[0]}` : 'not run';
        view.ready.resolve(undefined);
        view.end.resolve(e.result);
        for (const d of view.items.values()) d.resolve(undefined);
        break;
      case 'host-start':
        break;
    }
  }

  finish(): Promise<void> {
    return this.running;
  }
}
