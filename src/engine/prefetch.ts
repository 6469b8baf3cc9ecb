// Read-only probes of every task, run concurrently in one round trip before the first task.
// A task's ctx.read() is answered from this batch while nothing has changed on the host in
// this run; after the first change, reads go to the host again. This is what makes a no-op
// rerun cheap: ~50 checks cost about as much as the slowest one.
import { randomBytes } from 'node:crypto';
import { Cmd } from '../remote/command.ts';
import type { RemoteHost } from '../remote/host.ts';
import type { ExecResult } from '../remote/shell.ts';

export function batchCmd(cmds: Cmd[], sep: string): Cmd {
  const parts = cmds.map((c, i) => `(\n${c.text}\n) >"$pf/${i}" 2>/dev/null </dev/null & pids[${i}]=$!`);
  const text = [
    'pf=$(mktemp -d); trap \'rm -rf "$pf"\' EXIT',
    'declare -a pids',
    ...parts,
    `for i in ${cmds.map((_, i) => i).join(' ')}; do wait "\${pids[$i]}"; rc=$?; printf '\\n%s %d %d\\n' ${sep} "$i" "$rc"; cat "$pf/$i"; done`,
  ].join('\n');
  return new Cmd(text, cmds.flatMap((c) => c.secrets), `prefetch ${cmds.length} read-only checks`);
}

export function parseBatch(stdout: string, sep: string, n: number): (ExecResult | undefined)[] {
  const out: (ExecResult | undefined)[] = new Array(n).fill(undefined);
  const chunks = stdout.split(`\n${sep} `).slice(1);
  for (const chunk of chunks) {
    const nl = chunk.indexOf('\n');
    const [i, rc] = chunk.slice(0, nl).split(' ').map(Number) as [number, number];
    out[i] = { ok: rc === 0, exitCode: rc, stdout: chunk.slice(nl + 1), stderr: '', durationMs: 0 };
  }
  return out;
}

/** Runs the distinct commands at once; returns their results by command text. */
export async function prefetch(host: RemoteHost, cmds: Cmd[]): Promise<Map<string, ExecResult>> {
  const unique = [...new Map(cmds.map((c) => [c.text, c])).values()];
  const results = new Map<string, ExecResult>();
  if (unique.length < 2) return results;
  const sep = `__provision_prefetch_${randomBytes(8).toString('hex')}`;
  const r = await host.run(batchCmd(unique, sep), { nothrow: true });
  parseBatch(r.stdout, sep, unique.length).forEach((res, i) => {
    if (res?.ok) results.set((unique[i] as Cmd).text, res);
  });
  return results;
}

