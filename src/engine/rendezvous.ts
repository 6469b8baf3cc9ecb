// What hosts of one run tell each other (a swarm's join tokens go from its leader's run to the
// others'). Every host still has its own session; a host only waits for what another host's run
// publishes, and every wait ends: with the value, or with why it will never come (that host is not
// in this run, its run ended without publishing, or it has not started while the waiter holds a
// fork slot it needs). Values live in memory for the run only; secrets in them are masked by the
// host that receives them (TaskContext.mask).

/** A named kind of message; the type parameter keeps publish and wait agreeing. */
export interface Channel<T> {
  readonly name: string;
  /** Phantom: never set, only carries T. */
  readonly _type?: T;
}

export function channel<T>(name: string): Channel<T> {
  return { name };
}

export type Delivery<T> = { ok: true; value: T } | { ok: false; why: string };

interface Slot {
  value?: { v: unknown };
  waiters: ((d: Delivery<unknown>) => void)[];
}

export interface WaitOptions {
  /** Answer at once when the host's run has not started yet (rather than wait for it to start). */
  ifStarted?: boolean;
}

/** What a task sees: publish as its own host, wait for another host's message. */
export interface SharedBoard {
  publish<T>(ch: Channel<T>, value: T): void;
  wait<T>(host: string, ch: Channel<T>, opts?: WaitOptions): Promise<Delivery<T>>;
}

export class Rendezvous {
  private readonly slots = new Map<string, Slot>();
  private readonly started = new Set<string>();
  private readonly ended = new Map<string, string>();

  constructor(private readonly hosts: readonly string[]) {}

  private slot(host: string, ch: Channel<unknown>): Slot {
    const key = `${host}\0${ch.name}`;
    let s = this.slots.get(key);
    if (!s) this.slots.set(key, (s = { waiters: [] }));
    return s;
  }

  hostStarted(host: string): void {
    this.started.add(host);
  }

  /** The host's run is over: whoever still waits for it learns it never published. */
  hostEnded(host: string, why: string | undefined): void {
    const reason = why ? `its run ended before that (${why})` : 'its run ended without it (the task was skipped or not selected)';
    this.ended.set(host, reason);
    for (const [key, s] of this.slots) {
      if (!key.startsWith(`${host}\0`) || s.value) continue;
      for (const w of s.waiters.splice(0)) w({ ok: false, why: reason });
    }
  }

  publish<T>(host: string, ch: Channel<T>, value: T): void {
    const s = this.slot(host, ch);
    s.value = { v: value };
    for (const w of s.waiters.splice(0)) w({ ok: true, value });
  }

  wait<T>(host: string, ch: Channel<T>, opts: WaitOptions = {}): Promise<Delivery<T>> {
    const s = this.slot(host, ch);
    // The slot holds only what publish<T> put under this channel's name.
    if (s.value) return Promise.resolve({ ok: true, value: s.value.v as T });
    if (!this.hosts.includes(host)) return Promise.resolve({ ok: false, why: 'it is not part of this run (--limit?)' });
    const ended = this.ended.get(host);
    if (ended) return Promise.resolve({ ok: false, why: ended });
    if (opts.ifStarted && !this.started.has(host)) return Promise.resolve({ ok: false, why: 'its run has not started yet (fewer --forks than hosts)' });
    return new Promise((res) => s.waiters.push((d) => res(d as Delivery<T>)));
  }

  /** The view one host's tasks get. */
  boardFor(host: string): SharedBoard {
    return {
      publish: (ch, value) => this.publish(host, ch, value),
      wait: (h, ch, o) => this.wait(h, ch, o),
    };
  }
}
