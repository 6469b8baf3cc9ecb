// The `$` template: the one way to build a remote command. Every interpolated value is quoted
// for bash, arrays become several quoted words, and secrets are remembered so they can be
// masked wherever the command is shown.

/** A value whose text must never be shown; quoted like a string, masked in logs and errors. */
export class Secret {
  constructor(readonly value: string) {}
  toString(): string {
    return '***';
  }
}

/** Trusted shell text that is inserted as it is (use only for constants, never user input). */
export class Raw {
  constructor(readonly text: string) {}
}

/** A built command: bash text plus the secret values it contains. */
export class Cmd {
  constructor(
    readonly text: string,
    readonly secrets: readonly string[] = [],
    /** What logs show instead of the text, e.g. "write /etc/x (120 bytes)". */
    readonly display?: string,
  ) {}
  toString(): string {
    return this.display ?? this.text;
  }
}

export type Arg = string | number | boolean | Secret | Raw | Cmd | readonly Arg[];

const SAFE = /^[A-Za-z0-9_\/.,:@%+=^-]+$/;

/** Quotes one word for bash: plain when safe, else ANSI-C `$'…'` (needs bash, not sh). */
export function quote(word: string): string {
  if (word.includes('\0')) throw new Error('a shell argument cannot contain a NUL byte');
  if (word === '') return "$''";
  if (SAFE.test(word)) return word;
  let out = "$'";
  for (const ch of word) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += '\\x' + code.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + "'";
}

function render(arg: Arg, secrets: string[]): string {
  if (arg instanceof Cmd) {
    secrets.push(...arg.secrets);
    return arg.text;
  }
  if (arg instanceof Raw) return arg.text;
  if (arg instanceof Secret) {
    secrets.push(arg.value);
    return quote(arg.value);
  }
  if (Array.isArray(arg)) return arg.map((a: Arg) => render(a, secrets)).join(' ');
  if (typeof arg === 'number' || typeof arg === 'boolean') return String(arg);
  return quote(arg as string);
}

/** Tagged template: sh`docker network inspect ${name}` → Cmd with `name` quoted. */
export function sh(strings: TemplateStringsArray, ...values: Arg[]): Cmd {
  const secrets: string[] = [];
  let text = strings[0] ?? '';
  values.forEach((v, i) => {
    text += render(v, secrets) + (strings[i + 1] ?? '');
  });
  return new Cmd(text, secrets);
}

/** Joins commands into one script, one per line (each still fully quoted). */
export function script(...cmds: Cmd[]): Cmd {
  return new Cmd(
    cmds.map((c) => c.text).join('\n'),
    cmds.flatMap((c) => c.secrets),
  );
}

export function raw(text: string): Raw {
  return new Raw(text);
}

export function withDisplay(cmd: Cmd, display: string): Cmd {
  return new Cmd(cmd.text, cmd.secrets, display);
}
