// Secret masking: every text that leaves src/remote (errors, logs, diffs, reports) passes here.
// A secret is also masked in the forms tools print it in: JSON-escaped, Go %q-quoted,
// URL-encoded (as a URL path/query or a form), and base64 (alone or inside a longer base64 text,
// such as the "user:password" of an auth header or a docker config.json).

export class Masker {
  private readonly secrets = new Set<string>();
  /** The secrets and every printed form of them. */
  private readonly values = new Set<string>();
  private sorted: string[] | undefined;

  /** Secrets of 4 characters or more (shorter ones would mask ordinary words; refused at load time). */
  add(...secrets: readonly string[]): void {
    for (const s of secrets) if (s.length >= 4) this.addForms(s);
  }

  /** A secret masked whatever its length (the become password: its owner chose it, not us). */
  addAlways(secret: string): void {
    if (secret.length > 0) this.addForms(secret);
  }

  mask(text: string): string {
    let out = text;
    // Longest first, so a secret that contains another is masked whole.
    this.sorted ??= [...this.values].sort((a, b) => b.length - a.length);
    for (const s of this.sorted) if (out.includes(s)) out = out.split(s).join('***');
    return out;
  }

  /** How many distinct secrets are masked. */
  get size(): number {
    return this.secrets.size;
  }

  private addForms(s: string): void {
    this.sorted = undefined;
    this.secrets.add(s);
    this.values.add(s);
    for (const f of printedForms(s)) if (f.length >= Math.min(4, s.length)) this.values.add(f);
  }
}

/** The other spellings of `s` a log line may hold. */
export function printedForms(s: string): string[] {
  const forms = new Set<string>([
    JSON.stringify(s).slice(1, -1),
    goQuote(s),
    encodeURIComponent(s),
    encodeURIComponent(s).replace(/%20/g, '+'),
    encodeURIComponent(s).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    encodeURI(s),
  ]);
  for (const b of base64Cores(s)) forms.add(b);
  forms.delete(s);
  return [...forms];
}

/** Go's strconv.Quote body: \" \\ \n \t \r escaped, other control characters as \x hex. */
function goQuote(s: string): string {
  return s.replace(/[\\"\n\r\t\x00-\x1f\x7f]/g, (c) => {
    const named: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\v': '\\v' };
    return named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/**
 * The characters of base64 text that depend only on `s`, for each of the three byte offsets it
 * may start at inside a longer encoded text (standard and URL-safe alphabets). Cores shorter
 * than 8 characters would match unrelated base64, so they are left out.
 */
function base64Cores(s: string): string[] {
  const bytes = Buffer.from(s, 'utf8');
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const enc = Buffer.concat([Buffer.alloc(k), bytes]).toString('base64').replace(/=+$/, '');
    const start = k === 0 ? 0 : 4; // the first group mixes prefix bytes in
    const total = k + bytes.length;
    const fullGroups = Math.floor(total / 3);
    // Whole 4-character groups only: a partial last group depends on what follows.
    const core = enc.slice(start, fullGroups * 4);
    if (core.length >= 8) {
      out.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
    }
    // Alone (k = 0), the padded encoding is exact too.
    if (k === 0) out.push(bytes.toString('base64'), bytes.toString('base64url'));
  }
  return out.filter((c) => c.length >= 8);
}
