// Ansible's INI inventory format, read as Ansible reads it: [group], [group:vars],
// [group:children], host lines "name[:port] key=value …" (split like Python's shlex, comments
// after #), host ranges (web[01:03], db-[a:c], n[0:10:2]), values typed by Python's
// literal_eval (2222 is a number, True a boolean, anything else stays a string). Errors name
// file:line. No npm package reads this dialect (INI libraries take "web1 a=1" as one key).
import { ConfigError } from '../errors.ts';
import { addHost, emptySource, groupOf, type InventorySource, type VarsLayer } from './model.ts';
import { literalEval } from './python-literal.ts';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/;

/** True when a file's text is an INI inventory rather than YAML (decided by content). */
export function looksLikeIni(text: string): boolean {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    if (line === '---' || /^[\w.-]+\s*:(\s|$)/.test(line)) return false; // YAML: a mapping key or a document start
    return true; // a [section], or a bare host line of the implicit [ungrouped] section
  }
  return false;
}

/** Python shlex.split(line, comments=True) in POSIX mode: quotes, backslashes, # comments. */
export function shlexSplit(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inToken = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (c === "'") {
        if (end < 0) throw new Error('no closing quotation');
        cur += line.slice(i + 1, end);
        i = end;
      } else {
        let j = i + 1;
        for (; j < line.length && line[j] !== '"'; j++) {
          if (line[j] === '\\' && (line[j + 1] === '"' || line[j + 1] === '\\')) j++;
          cur += line[j];
        }
        if (j >= line.length) throw new Error('no closing quotation');
        i = j;
      }
      inToken = true;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new Error('no escaped character');
      cur += line[++i];
      inToken = true;
    } else if (/\s/.test(c)) {
      if (inToken) out.push(cur);
      cur = '';
      inToken = false;
    } else if (c === '#') {
      break; // shlex ends the line at a comment character, even inside a word
    } else {
      cur += c;
      inToken = true;
    }
  }
  if (inToken) out.push(cur);
  return out;
}

/** Expands Ansible host ranges: web[01:03] → web01 web02 web03, db-[a:c], n[0:10:2]. */
export function expandHostRange(pattern: string): string[] {
  const open = pattern.indexOf('[');
  const close = pattern.indexOf(']', open);
  if (open < 0 || close < 0 || !pattern.slice(open, close).includes(':')) return [pattern];
  const head = pattern.slice(0, open);
  const tail = pattern.slice(close + 1);
  const bounds = pattern.slice(open + 1, close).split(':');
  if (bounds.length < 2 || bounds.length > 3) throw new Error(`host range ${pattern} must be [begin:end] or [begin:end:step]`);
  const beg = bounds[0] || '0';
  const end = bounds[1] ?? '';
  const stepText = bounds[2] ?? '1';
  if (!end) throw new Error(`host range ${pattern} must give an end value`);
  if (!/^\d+$/.test(stepText) || Number(stepText) < 1) throw new Error(`host range ${pattern}: the step must be a whole number ≥ 1`);
  const step = Number(stepText);
  let items: string[];
  if (/^[a-zA-Z]$/.test(beg) && /^[a-zA-Z]$/.test(end)) {
    const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const from = letters.indexOf(beg);
    const to = letters.indexOf(end);
    if (from > to) throw new Error(`host range ${pattern}: the start comes after the end`);
    items = [];
    for (let i = from; i <= to; i += step) items.push(letters[i] as string);
  } else if (/^\d+$/.test(beg) && /^\d+$/.test(end)) {
    const padded = beg.length > 1 && beg.startsWith('0');
    if (padded && beg.length !== end.length) throw new Error(`host range ${pattern}: a zero-padded start and the end must have the same length`);
    const from = Number(beg);
    const to = Number(end);
    if (from > to) throw new Error(`host range ${pattern}: the start comes after the end`);
    if ((to - from) / step > 100_000) throw new Error(`host range ${pattern} expands to more than 100000 hosts`);
    items = [];
    for (let i = from; i <= to; i += step) items.push(padded ? String(i).padStart(beg.length, '0') : String(i));
  } else throw new Error(`host range ${pattern}: the bounds must both be numbers or both single letters`);
  // The tail may hold another range (rack[1:2]-node[a:b]).
  return items.flatMap((i) => expandHostRange(`${head}${i}${tail}`));
}

/** A host pattern with an optional ":port" (not for IPv6 addresses, which hold colons). */
function splitPort(token: string): { pattern: string; port?: number } {
  const m = /^([^:]+):(\d+)$/.exec(token);
  if (m) return { pattern: m[1] as string, port: Number(m[2]) };
  if (token.endsWith(':')) throw new Error(`host ${token}: a trailing ":" must be followed by a port`);
  return { pattern: token };
}

export function parseIniInventory(text: string, file: string): InventorySource {
  const src = emptySource(file);
  const problems: string[] = [];
  // Groups named only by [x:vars] or in [y:children] must be declared somewhere in the file.
  const declared = new Set<string>(['all', 'ungrouped']);
  const pending = new Map<string, { line: number; message: string }>();
  let group = 'ungrouped';
  let state = 'hosts';
  let groupVars: VarsLayer | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const n = i + 1;
    const at = `${file}:${n}`;
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) return;
    const sec = SECTION.exec(line);
    if (sec) {
      group = sec[1] as string;
      state = sec[2] ?? 'hosts';
      groupVars = undefined;
      if (!['hosts', 'vars', 'children'].includes(state)) {
        problems.push(`${at}: section [${group}:${state}] has an unknown type "${state}" (hosts, vars or children)`);
        state = 'skip';
        return;
      }
      groupOf(src, group);
      if (state === 'vars') {
        if (!declared.has(group) && !pending.has(group)) pending.set(group, { line: n, message: `section [${group}:vars] is for a group defined nowhere in this file` });
      } else {
        declared.add(group);
        pending.delete(group);
      }
      return;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      problems.push(`${at}: invalid section "${line}" (no spaces inside the brackets; [name], [name:vars] or [name:children])`);
      state = 'skip';
      return;
    }
    try {
      if (state === 'hosts') {
        const tokens = shlexSplit(line);
        const first = tokens[0];
        if (first === undefined) return;
        if (first === '---') throw new Error('"---" starts a YAML document: is this file YAML with a syntax error?');
        const { pattern, port } = splitPort(first);
        const names = expandHostRange(pattern);
        const vars: Record<string, unknown> = {};
        if (port !== undefined) vars.ansible_port = port;
        for (const t of tokens.slice(1)) {
          const eq = t.indexOf('=');
          if (eq <= 0) throw new Error(`expected key=value after the host name, got "${t}"`);
          vars[t.slice(0, eq)] = literalEval(t.slice(eq + 1));
        }
        const layerFor = (): VarsLayer => ({ vars: structuredClone(vars), origins: new Map(Object.keys(vars).map((k) => [k, at])), secrets: [] });
        for (const h of names) addHost(src, group, h, Object.keys(vars).length ? layerFor() : undefined);
      } else if (state === 'vars') {
        const eq = line.indexOf('=');
        if (eq <= 0) throw new Error(`expected key=value in [${group}:vars], got "${line}"`);
        const key = line.slice(0, eq).trim();
        if (!groupVars) {
          groupVars = { vars: {}, origins: new Map(), secrets: [] };
          groupOf(src, group).vars.push(groupVars);
        }
        groupVars.vars[key] = literalEval(line.slice(eq + 1).trim());
        groupVars.origins.set(key, at);
      } else if (state === 'children') {
        const m = GROUP_NAME.exec(line);
        if (!m) throw new Error(`expected a group name in [${group}:children], got "${line}"`);
        const child = m[1] as string;
        const g = groupOf(src, group);
        if (!g.children.includes(child)) g.children.push(child);
        if (!declared.has(child) && !pending.has(child)) pending.set(child, { line: n, message: `section [${group}:children] names group "${child}", defined nowhere in this file` });
      }
    } catch (e) {
      problems.push(`${at}: ${(e as Error).message}`);
    }
  });
  for (const [name, p] of pending) {
    if (!declared.has(name)) problems.push(`${file}:${p.line}: ${p.message}`);
  }
  if (problems.length) throw new ConfigError(`${file}: invalid INI inventory`, problems);
  return src;
}
