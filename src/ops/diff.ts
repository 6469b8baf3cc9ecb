// A small unified diff for config files (line based, LCS). Large inputs get a summary instead.

const MAX_CELLS = 4_000_000;

type Op = { kind: ' ' | '-' | '+'; line: string };

function lcsOps(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const dp: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    const row = dp[i] as Uint32Array;
    const next = dp[i + 1] as Uint32Array;
    for (let j = m - 1; j >= 0; j--) row[j] = a[i] === b[j] ? (next[j + 1] as number) + 1 : Math.max(next[j] as number, row[j + 1] as number);
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      ops.push({ kind: ' ', line: a[i] as string });
      i++;
      j++;
    } else if ((dp[i + 1] as Uint32Array)[j]! >= (dp[i] as Uint32Array)[j + 1]!) ops.push({ kind: '-', line: a[i++] as string });
    else ops.push({ kind: '+', line: b[j++] as string });
  }
  while (i < n) ops.push({ kind: '-', line: a[i++] as string });
  while (j < m) ops.push({ kind: '+', line: b[j++] as string });
  return ops;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Unified diff of two texts with `context` lines around each change; '' when equal. */
export function unifiedDiff(before: string, after: string, path: string, context = 3): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  if ((a.length + 1) * (b.length + 1) > MAX_CELLS) return `--- ${path}\n+++ ${path}\n(${a.length} → ${b.length} lines; too large to diff)`;
  const ops = lcsOps(a, b);
  const out = [`--- ${path} (on host)`, `+++ ${path} (wanted)`];
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.kind === ' ') {
      k++;
      continue;
    }
    const start = Math.max(0, k - context);
    let end = k;
    // Extend the hunk while changes are closer than 2*context apart.
    while (end < ops.length) {
      let e = end;
      while (e < ops.length && ops[e]!.kind !== ' ') e++;
      let gap = e;
      while (gap < ops.length && ops[gap]!.kind === ' ') gap++;
      end = e;
      if (gap >= ops.length || gap - e > 2 * context) break;
      end = gap;
    }
    const stop = Math.min(ops.length, end + context);
    const aLine = 1 + ops.slice(0, start).filter((o) => o.kind !== '+').length;
    const bLine = 1 + ops.slice(0, start).filter((o) => o.kind !== '-').length;
    const hunk = ops.slice(start, stop);
    const aCount = hunk.filter((o) => o.kind !== '+').length;
    const bCount = hunk.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${aCount ? aLine : aLine - 1},${aCount} +${bCount ? bLine : bLine - 1},${bCount} @@`);
    for (const o of hunk) out.push(`${o.kind}${o.line}`);
    k = stop;
  }
  return out.join('\n');
}

/** A diff of dotenv-style files that names the keys whose values differ, never the values. */
export function envKeysDiff(before: string, after: string, path: string): string {
  const parse = (t: string) =>
    new Map(
      t
        .split('\n')
        .map((l) => /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1] as string, m[2] as string]),
    );
  const a = parse(before);
  const b = parse(after);
  const lines = [`--- ${path} (on host)`, `+++ ${path} (wanted)`];
  for (const k of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    if (a.get(k) === b.get(k)) continue;
    if (a.has(k)) lines.push(`-${k}=***`);
    if (b.has(k)) lines.push(`+${k}=***`);
  }
  if (lines.length === 2) lines.push('(comments or layout differ; no value changed)');
  return lines.join('\n');
}
