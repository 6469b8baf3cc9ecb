// systemd services and group membership.
import { sh } from '../remote/command.ts';
import { LOGIN_USER } from '../engine/facts.ts';
import { read } from '../engine/read.ts';
import { change, defineTask, differs, inSync } from '../engine/task.ts';
import type { Task } from '../engine/types.ts';

/** Pure: what to do from `systemctl is-enabled` / `is-active` answers. */
export function planService(enabledOut: string, activeOut: string): string[] {
  const todo: string[] = [];
  if (enabledOut.trim() !== 'enabled') todo.push(`enable (is ${enabledOut.trim() || 'unknown'})`);
  if (activeOut.trim() !== 'active') todo.push(`start (is ${activeOut.trim() || 'unknown'})`);
  return todo;
}

/** One systemctl call: "UnitFileState=enabled" and "ActiveState=active" lines. */
const serviceState = (unit: string) =>
  read(sh`systemctl show -p UnitFileState -p ActiveState ${unit} 2>/dev/null || true`, (r) => {
    const kv = new Map(r.stdout.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]));
    return planService(kv.get('UnitFileState') ?? '', kv.get('ActiveState') ?? '');
  });

export function serviceTask(unit: string, tags?: string[]): Task {
  return defineTask({
    name: `service ${unit} enabled and running`,
    tags,
    reads: { todo: serviceState(unit) },
    check: (ctx, { todo }) => {
      if (!ctx.facts.systemd) throw new Error(`${ctx.host} does not run systemd; cannot manage ${unit}`);
      return todo.length ? differs(`${unit}: ${todo.join(', ')}`) : inSync(`${unit} enabled and active`);
    },
    apply: async (ctx) => {
      // A unit that failed (or was restarted often) may sit in its start limit: clear that first.
      await ctx.$`systemctl reset-failed ${unit} 2>/dev/null || true
systemctl enable --now ${unit}`;
      // Wait for the unit to settle so later tasks can use it (docker.socket activation etc.).
      await ctx.$`for i in $(seq 1 30); do systemctl is-active --quiet ${unit} && exit 0; sleep 1; done; systemctl status ${unit} --no-pager | tail -n 20 >&2; exit 1`;
    },
  });
}

const loginUserGroups = read(sh`printf '%s\\n' ${LOGIN_USER}; id -nG ${LOGIN_USER}`, (r) => {
  const [user = '', groups = ''] = r.stdout.split('\n');
  return { user, groups: groups.trim().split(/\s+/) };
});

export function userInGroupTask(group: string, tags?: string[]): Task {
  return defineTask({
    name: `login user in group ${group}`,
    tags,
    reads: { login: loginUserGroups },
    check: (_ctx, { login }) =>
      login.groups.includes(group) ? inSync(`${login.user} is in ${group}`) : change(`${login.user} is not in ${group}`, login.user),
    apply: async (ctx, { data: user }) => {
      await ctx.$`usermod -aG ${group} ${user}`;
      // Group membership is read at login: without sudo, later commands need a new session.
      if (!ctx.become) await ctx.reconnect();
      return { reason: `added ${user} to ${group} (effective from the next login)` };
    },
  });
}
