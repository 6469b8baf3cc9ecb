// systemd services and group membership.
import { sh } from '../remote/command.ts';
import type { Task } from '../engine/types.ts';

/** Pure: what to do from `systemctl is-enabled` / `is-active` answers. */
export function planService(enabledOut: string, activeOut: string): string[] {
  const todo: string[] = [];
  if (enabledOut.trim() !== 'enabled') todo.push(`enable (is ${enabledOut.trim() || 'unknown'})`);
  if (activeOut.trim() !== 'active') todo.push(`start (is ${activeOut.trim() || 'unknown'})`);
  return todo;
}

const serviceStateCmd = (unit: string) =>
  sh`printf '%s\\n' "$(systemctl is-enabled ${unit} 2>/dev/null || true)" "$(systemctl is-active ${unit} 2>/dev/null || true)"`;

export function serviceTask(unit: string, tags?: string[]): Task {
  return {
    name: `service ${unit} enabled and running`,
    tags,
    prefetch: [serviceStateCmd(unit)],
    check: async (ctx) => {
      if (!ctx.facts.systemd) throw new Error(`${ctx.host.name} does not run systemd; cannot manage ${unit}`);
      const r = await ctx.read(serviceStateCmd(unit));
      const [en = '', act = ''] = r.stdout.split('\n');
      const todo = planService(en, act);
      return todo.length ? { changed: true, reason: `${unit}: ${todo.join(', ')}` } : { changed: false, reason: `${unit} enabled and active` };
    },
    apply: async (ctx) => {
      await ctx.$`systemctl enable --now ${unit}`;
      // Wait for the unit to settle so later tasks can use it (docker.socket activation etc.).
      await ctx.$`for i in $(seq 1 30); do systemctl is-active --quiet ${unit} && exit 0; sleep 1; done; systemctl status ${unit} --no-pager | tail -n 20 >&2; exit 1`;
    },
  };
}

export function userInGroupTask(group: string, user: (facts: { loginUser: string }) => string, tags?: string[]): Task {
  return {
    name: `login user in group ${group}`,
    tags,
    prefetch: (facts) => [sh`id -nG ${user(facts)}`],
    check: async (ctx) => {
      const u = user(ctx.facts);
      const groups = (await ctx.read(sh`id -nG ${u}`)).stdout.trim().split(/\s+/);
      return groups.includes(group) ? { changed: false, reason: `${u} is in ${group}` } : { changed: true, reason: `${u} is not in ${group}` };
    },
    apply: async (ctx) => {
      const u = user(ctx.facts);
      await ctx.$`usermod -aG ${group} ${u}`;
      // Group membership is read at login: without sudo, later commands need a new session.
      if (!ctx.host.spec.become) await ctx.host.reconnect();
      return { reason: `added ${u} to ${group} (effective from the next login)` };
    },
  };
}
