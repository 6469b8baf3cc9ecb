// Read-only commands run concurrently in one round trip: each in a background subshell writing
// to its own file, then printed in order behind a random separator with its exit status.
// A no-op rerun's ~50 checks cost about as much as the slowest one.
import { Cmd } from './command.ts';
import type { ExecResult } from './connection.ts';

export function batchCmd(cmds: readonly Cmd[], sep: string): Cmd {
  const parts = cmds.map((c, i) => `(\n${c.text}\n) >"$pf/${i}" 2>"$pf/${i}.e" </dev/null & pids[${i}]=$!`);
  const text = [
    'pf=$(mktemp -d); trap \'rm -rf "$pf"\' EXIT',
    'declare -a pids',
    ...parts,
    `for i in ${cmds.map((_, i) => i).join(' ')}; do wait "\${pids[$i]}" && rc=0 || rc=$?; printf '\\n%s %d %d\\n' ${sep} "$i" "$rc"; if [ "$rc" -ne 0 ]; then base64 -w0 <"$pf/$i.e"; fi; echo; cat "$pf/$i"; done`,
  ].join('\n');
  return new Cmd(text, cmds.flatMap((c) => c.secrets), `read ${cmds.length} things at once`);
}

/** One result per command; a command whose chunk is missing gets a failed result saying so. */
export function parseBatch(stdout: string, sep: string, n: number): ExecResult[] {
  const out: ExecResult[] = Array.from({ length: n }, () => ({ ok: false, exitCode: -1, stdout: '', stderr: 'no answer in the read batch', durationMs: 0 }));
  const chunks = stdout.split(`\n${sep} `).slice(1);
  for (const chunk of chunks) {
    const nl = chunk.indexOf('\n');
    const [i, rc] = chunk.slice(0, nl).split(' ').map(Number) as [number, number];
    if (!(i >= 0 && i < n)) continue;
    // The line after the header: stderr in base64 (only for a failed command), then stdout.
    const nl2 = chunk.indexOf('\n', nl + 1);
    const stderr = Buffer.from(chunk.slice(nl + 1, nl2), 'base64').toString('utf8');
    out[i] = { ok: rc === 0, exitCode: rc, stderr, stdout: chunk.slice(nl2 + 1), durationMs: 0 };
  }
  return out;
}
