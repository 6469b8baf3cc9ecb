// Read-only commands run concurrently in one round trip: each in a background subshell writing
// to its own file, then printed in order behind a random separator with its exit status.
// A no-op rerun's ~50 checks cost about as much as the slowest one. An optional gate runs
// first, alone: when it fails (e.g. the host's lock is taken) the reads are not run at all.
import { Cmd } from './command.ts';
import type { ExecResult, ReadBatch } from './connection.ts';

/** Prints one result: "\n<sep> <id> <rc>\n", stderr in base64 (failed commands only), a newline, stdout. `id` is a shell word. */
const chunk = (sep: string, id: string) =>
  `printf '\\n%s %s %d\\n' ${sep} ${id} "$rc"; if [ "$rc" -ne 0 ]; then base64 -w0 <"$pf/${id}.e"; fi; echo; cat "$pf/${id}"`;

export function batchCmd(cmds: readonly Cmd[], sep: string, gate?: Cmd): Cmd {
  const parts = cmds.map((c, i) => `(\n${c.text}\n) >"$pf/${i}" 2>"$pf/${i}.e" </dev/null & pids[${i}]=$!`);
  const text = [
    'pf=$(mktemp -d); trap \'rm -rf "$pf"\' EXIT',
    ...(gate ? [`(\n${gate.text}\n) >"$pf/g" 2>"$pf/g.e" </dev/null && rc=0 || rc=$?`, chunk(sep, 'g'), '[ "$rc" -eq 0 ] || exit 0'] : []),
    'declare -a pids',
    ...parts,
    `for i in ${cmds.map((_, i) => i).join(' ')}; do wait "\${pids[$i]}" && rc=0 || rc=$?; ${chunk(sep, '$i')}; done`,
  ].join('\n');
  return new Cmd(text, [...cmds.flatMap((c) => c.secrets), ...(gate?.secrets ?? [])], `read ${cmds.length} things at once`);
}

function parseChunk(chunk: string): { key: string; result: ExecResult } | undefined {
  const nl = chunk.indexOf('\n');
  const [key = '', rcText = ''] = chunk.slice(0, nl).split(' ');
  const rc = Number(rcText);
  // The line after the header: stderr in base64 (only for a failed command), then stdout.
  const nl2 = chunk.indexOf('\n', nl + 1);
  if (nl < 0 || nl2 < 0 || !Number.isInteger(rc)) return undefined;
  const stderr = Buffer.from(chunk.slice(nl + 1, nl2), 'base64').toString('utf8');
  return { key, result: { ok: rc === 0, exitCode: rc, stderr, stdout: chunk.slice(nl2 + 1), durationMs: 0 } };
}

/** One result per command; a command whose chunk is missing (or that did not run) gets a failed result saying so. */
export function parseBatch(stdout: string, sep: string, n: number): ReadBatch {
  const results: ExecResult[] = Array.from({ length: n }, () => ({ ok: false, exitCode: -1, stdout: '', stderr: 'no answer in the read batch', durationMs: 0 }));
  let gate: ExecResult | undefined;
  for (const c of stdout.split(`\n${sep} `).slice(1)) {
    const p = parseChunk(c);
    if (!p) continue;
    if (p.key === 'g') gate = p.result;
    else {
      const i = Number(p.key);
      if (Number.isInteger(i) && i >= 0 && i < n) results[i] = p.result;
    }
  }
  return { gate, results };
}
