// Managed files and directories: content, mode, owner. Checked with one stat + sha256 round
// trip; written atomically (temp file in the same directory, then rename), so a failed run
// never leaves a half-written file.
import { createHash } from 'node:crypto';
import { Cmd, script, sh, withDisplay } from '../remote/command.ts';
import { read, type Read } from '../engine/read.ts';
import { change, defineTask, differs, inSync } from '../engine/task.ts';
import type { Facts } from '../engine/facts.ts';
import type { Task, TaskContext } from '../engine/types.ts';
import { envKeysDiff, unifiedDiff } from './diff.ts';

export interface FileSpec {
  path: string;
  content: string;
  /** Octal string, e.g. "0644". */
  mode: string;
  owner: string;
  group: string;
  /** Hide content in diffs: a .env's values show as ***; a secret file's content not at all. */
  sensitive?: 'dotenv' | 'secret';
}

export interface FileState {
  exists: boolean;
  isFile?: boolean;
  mode?: number;
  owner?: string;
  group?: string;
  uid?: string;
  gid?: string;
  sha256?: string;
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * One probe for many paths: "path<TAB>type mode user group uid gid sha" or "path<TAB>missing".
 * One stat and one sha256sum for all of them (this runs on every no-op rerun).
 */
export function probePathsCmd(paths: readonly string[]): Cmd {
  return sh`declare -A sha; ex=(); fl=()
for p in ${[...paths]}; do
  if [ -e "$p" ] || [ -L "$p" ]; then
    ex+=("$p")
    if [ -f "$p" ] && [ ! -L "$p" ]; then fl+=("$p"); fi
  else printf '%s\tmissing\n' "$p"; fi
done
if [ \${#fl[@]} -gt 0 ]; then while read -r h f; do sha["$f"]=$h; done < <(sha256sum -- "\${fl[@]}"); fi
if [ \${#ex[@]} -gt 0 ]; then
  while IFS=$'\t' read -r p t; do printf '%s\t%s %s\n' "$p" "$t" "\${sha[$p]:--}"; done < <(stat --printf '%n\t%F %a %U %G %u %g\n' -- "\${ex[@]}")
fi`;
}

/** Stat and sha256 of many paths in one command; tasks of one stack share one such read. */
export function probePathsRead(paths: readonly string[]): Read<Map<string, FileState>> {
  return read(probePathsCmd(paths), (r) => parseProbe(r.stdout));
}

export function parseProbe(stdout: string): Map<string, FileState> {
  const out = new Map<string, FileState>();
  for (const line of stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const path = line.slice(0, tab);
    const rest = line.slice(tab + 1);
    if (rest === 'missing') {
      out.set(path, { exists: false });
      continue;
    }
    // "%F" may hold spaces ("regular file", "regular empty file", "directory").
    const parts = rest.split(' ');
    const [mode, owner, group, uid, gid, sha] = parts.slice(-6);
    const type = parts.slice(0, -6).join(' ');
    out.set(path, {
      exists: true,
      isFile: type.includes('regular'),
      mode: parseInt(mode ?? '0', 8),
      owner,
      group,
      uid,
      gid,
      sha256: sha === '-' ? undefined : sha,
    });
  }
  return out;
}

function ownerMatches(want: string, name?: string, id?: string): boolean {
  return want === name || want === id;
}

/** Pure: what differs between the wanted file and what the host has. */
export function planFile(spec: Pick<FileSpec, 'content' | 'mode' | 'owner' | 'group'>, st: FileState, kind: 'file' | 'directory' = 'file'): string[] {
  if (!st.exists) return ['missing'];
  const changes: string[] = [];
  if (kind === 'file' && !st.isFile) return ['not a regular file'];
  if (kind === 'directory' && st.isFile) return ['is a file, not a directory'];
  if (kind === 'file' && st.sha256 !== sha256(spec.content)) changes.push('content');
  const wantMode = parseInt(spec.mode, 8);
  if (st.mode !== wantMode) changes.push(`mode ${(st.mode ?? 0).toString(8).padStart(4, '0')} → ${spec.mode}`);
  if (!ownerMatches(spec.owner, st.owner, st.uid)) changes.push(`owner ${st.owner} → ${spec.owner}`);
  if (!ownerMatches(spec.group, st.group, st.gid)) changes.push(`group ${st.group} → ${spec.group}`);
  return changes;
}

export function writeFileCmd(spec: FileSpec): Cmd {
  const b64 = Buffer.from(spec.content, 'utf8').toString('base64');
  const cmd = sh`f=${spec.path}; d=$(dirname -- "$f")
[ -d "$d" ] || install -d -m 0755 -- "$d"
tmp=$(mktemp "$d/.provision.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
printf '%s' ${b64} | base64 -d >"$tmp"
chmod ${spec.mode} -- "$tmp"
chown ${`${spec.owner}:${spec.group}`} -- "$tmp"
mv -fT -- "$tmp" "$f"
trap - EXIT`;
  return withDisplay(cmd, `write ${spec.path} (${Buffer.byteLength(spec.content)} bytes, mode ${spec.mode})`);
}

export function fixAttrsCmd(path: string, mode: string, owner: string, group: string): Cmd {
  return sh`chmod ${mode} -- ${path} && chown ${`${owner}:${group}`} -- ${path}`;
}

async function fileDiff(ctx: TaskContext, spec: FileSpec, st: FileState): Promise<string | undefined> {
  if (spec.sensitive === 'secret') return `--- ${spec.path} (on host)\n+++ ${spec.path} (wanted)\n(secret content differs; not shown)`;
  const before = st.exists && st.isFile ? (await ctx.$`base64 -w0 -- ${spec.path}`).stdout : '';
  const a = Buffer.from(before.trim(), 'base64').toString('utf8');
  const b = spec.content;
  if (a.includes('\0') || b.includes('\0')) return `binary file ${spec.path} differs`;
  if (spec.sensitive === 'dotenv') return envKeysDiff(a, b, spec.path);
  if (spec.sensitive === 'secret') return `--- ${spec.path} (on host)\n+++ ${spec.path} (wanted)\n(secret content differs; not shown)`;
  return unifiedDiff(a, b, spec.path);
}

export interface FileTaskOptions {
  name?: string;
  tags?: string[];
  notify?: string[];
  /** A probe covering this path and others (one read for a whole stack); default: its own. */
  probe?: Read<Map<string, FileState>>;
  /** Called when the file was written, or in check mode would be (e.g. which config changed). */
  onChanged?: () => void;
}

/** A file with exactly this content, mode and owner; written atomically. */
export function fileTask(spec: FileSpec, opts: FileTaskOptions = {}): Task {
  return factsFileTask(spec.path, () => spec, opts);
}

/** The same, for a file whose content depends on the host (its OS, architecture). */
export function factsFileTask(path: string, build: (facts: Facts) => FileSpec, opts: FileTaskOptions = {}): Task {
  return defineTask({
    name: opts.name ?? `file ${path}`,
    tags: opts.tags,
    notify: opts.notify,
    reads: { probe: opts.probe ?? probePathsRead([path]) },
    check: async (ctx, { probe }) => {
      const spec = build(ctx.facts);
      const st = probe.get(spec.path) ?? { exists: false };
      const changes = planFile(spec, st);
      if (!changes.length) return inSync();
      if (ctx.checkMode) opts.onChanged?.();
      const diff = changes.includes('content') || changes.includes('missing') ? await fileDiff(ctx, spec, st) : undefined;
      const rewrite = changes.some((c) => c === 'content' || c === 'missing' || c === 'not a regular file');
      return change(`${spec.path}: ${changes.join(', ')}`, { rewrite, spec }, diff);
    },
    apply: async (ctx, { data }) => {
      const { spec } = data;
      if (data.rewrite) await ctx.run(writeFileCmd(spec));
      else await ctx.run(fixAttrsCmd(spec.path, spec.mode, spec.owner, spec.group));
      opts.onChanged?.();
    },
  });
}

export interface DirSpec {
  path: string;
  mode: string;
  owner: string;
  group: string;
}

/** Several directories in one task (one probe, one fix). */
export function directoriesTask(name: string, dirs: DirSpec[], tags?: string[], probe?: Read<Map<string, FileState>>): Task {
  return defineTask({
    name,
    tags,
    reads: { probe: probe ?? probePathsRead(dirs.map((d) => d.path)) },
    check: (_ctx, { probe: st }) => {
      const wrong = dirs
        .map((d) => ({ d, c: planFile({ ...d, content: '' }, st.get(d.path) ?? { exists: false }, 'directory') }))
        .filter((x) => x.c.length);
      if (!wrong.length) return inSync();
      return differs(wrong.map((w) => `${w.d.path}: ${w.c.join(', ')}`).join('; '));
    },
    apply: async (ctx) => {
      // install -d also fixes mode and owner of a directory that already exists.
      await ctx.run(script(...dirs.map((d) => sh`install -d -m ${d.mode} -o ${d.owner} -g ${d.group} -- ${d.path}`)));
    },
  });
}
