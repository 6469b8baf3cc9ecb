// Managed files and directories: content, mode, owner. Checked with one stat + sha256 round
// trip; written atomically (temp file in the same directory, then rename), so a failed run
// never leaves a half-written file.
import { createHash } from 'node:crypto';
import { Cmd, script, sh, withDisplay } from '../remote/command.ts';
import type { Task, TaskContext } from '../engine/types.ts';
import { envKeysDiff, unifiedDiff } from './diff.ts';

export interface FileSpec {
  path: string;
  content: string;
  /** Octal string, e.g. "0644". */
  mode: string;
  owner: string;
  group: string;
  /** Hide values in diffs and logs (a .env); dotenv values are shown as ***. */
  sensitive?: boolean;
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

/** One probe for many paths: "path<TAB>type mode user group uid gid sha" or "path<TAB>missing". */
export function probePathsCmd(paths: string[]): Cmd {
  return sh`for p in ${paths}; do
  if [ -e "$p" ] || [ -L "$p" ]; then
    t=$(stat -c '%F %a %U %G %u %g' -- "$p")
    if [ -f "$p" ] && [ ! -L "$p" ]; then s=$(sha256sum -- "$p" | cut -d' ' -f1); else s=-; fi
    printf '%s\\t%s %s\\n' "$p" "$t" "$s"
  else printf '%s\\tmissing\\n' "$p"; fi
done`;
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
  const before = st.exists && st.isFile ? (await ctx.$`base64 -w0 -- ${spec.path}`).stdout : '';
  const a = Buffer.from(before.trim(), 'base64').toString('utf8');
  const b = spec.content;
  if (a.includes('\0') || b.includes('\0')) return `binary file ${spec.path} differs`;
  if (spec.sensitive) return envKeysDiff(a, b, spec.path);
  return unifiedDiff(a, b, spec.path);
}

export interface FileTaskOptions {
  name?: string;
  /** The path, when `spec` is a function (lets the check be prefetched). */
  path?: string;
  tags?: string[];
  notify?: string[];
  /** Runs when the file was written, or in check mode would be (e.g. remember which config changed). */
  onChanged?: (ctx: TaskContext) => void;
}

export function fileTask(spec: FileSpec | ((ctx: TaskContext) => FileSpec), opts: FileTaskOptions = {}): Task {
  const resolveSpec = (ctx: TaskContext) => (typeof spec === 'function' ? spec(ctx) : spec);
  const staticPath = typeof spec === 'function' ? opts.path : spec.path;
  return {
    name: opts.name ?? `file ${staticPath ?? ''}`.trim(),
    tags: opts.tags,
    notify: opts.notify,
    prefetch: staticPath ? [probePathsCmd([staticPath])] : undefined,
    check: async (ctx) => {
      const s = resolveSpec(ctx);
      const st = parseProbe((await ctx.read(probePathsCmd([s.path]))).stdout).get(s.path) ?? { exists: false };
      const changes = planFile(s, st);
      if (!changes.length) return { changed: false };
      if (ctx.checkMode) opts.onChanged?.(ctx);
      const diff = changes.includes('content') || changes.includes('missing') ? await fileDiff(ctx, s, st) : undefined;
      const rewrite = changes.some((c) => c === 'content' || c === 'missing' || c === 'not a regular file');
      return { changed: true, reason: `${s.path}: ${changes.join(', ')}`, diff, data: { rewrite } };
    },
    apply: async (ctx, found) => {
      const s = resolveSpec(ctx);
      if ((found.data as { rewrite: boolean }).rewrite) await ctx.host.run(writeFileCmd(s));
      else await ctx.host.run(fixAttrsCmd(s.path, s.mode, s.owner, s.group));
      opts.onChanged?.(ctx);
    },
  };
}

export interface DirSpec {
  path: string;
  mode: string;
  owner: string;
  group: string;
}

/** Several directories in one task (one probe, one fix). */
export function directoriesTask(name: string, dirs: DirSpec[], tags?: string[]): Task {
  return {
    name,
    tags,
    prefetch: [probePathsCmd(dirs.map((d) => d.path))],
    check: async (ctx) => {
      const st = parseProbe((await ctx.read(probePathsCmd(dirs.map((d) => d.path)))).stdout);
      const wrong = dirs
        .map((d) => ({ d, c: planFile({ ...d, content: '' }, st.get(d.path) ?? { exists: false }, 'directory') }))
        .filter((x) => x.c.length);
      if (!wrong.length) return { changed: false };
      return { changed: true, reason: wrong.map((w) => `${w.d.path}: ${w.c.join(', ')}`).join('; ') };
    },
    apply: async (ctx) => {
      // install -d also fixes mode and owner of a directory that already exists.
      await ctx.host.run(script(...dirs.map((d) => sh`install -d -m ${d.mode} -o ${d.owner} -g ${d.group} -- ${d.path}`)));
    },
  };
}
