// Python's ast.literal_eval for the values Ansible's INI inventory parser types: numbers,
// True/False/None, quoted strings, lists, tuples and dicts of those. Anything else (a plain
// word, an address, a path) is not a literal, and Ansible keeps it as the string it was.

export type PyValue = string | number | boolean | null | PyValue[] | { [k: string]: PyValue };

const NOT_LITERAL = Symbol('not a literal');

class Reader {
  pos = 0;
  constructor(readonly text: string) {}
  skipSpace(): void {
    for (;;) {
      while (this.pos < this.text.length && /\s/.test(this.text[this.pos] as string)) this.pos++;
      // A comment ends the expression (literal_eval parses a module: "23 # why" is 23).
      if (this.text[this.pos] === '#') this.pos = this.text.length;
      else return;
    }
  }
  peek(): string {
    return this.text[this.pos] ?? '';
  }
  fail(): never {
    throw NOT_LITERAL;
  }
}

function parseString(r: Reader): string {
  let prefix = '';
  while (/[rRbBuU]/.test(r.peek())) prefix += r.text[r.pos++];
  if (prefix.length > 1 || /[bB]/.test(prefix)) r.fail();
  const raw = /[rR]/.test(prefix);
  const q = r.peek();
  if (q !== "'" && q !== '"') r.fail();
  const triple = r.text.startsWith(q.repeat(3), r.pos);
  const end = triple ? q.repeat(3) : q;
  r.pos += end.length;
  let out = '';
  for (;;) {
    if (r.pos >= r.text.length) r.fail();
    if (r.text.startsWith(end, r.pos)) {
      r.pos += end.length;
      return out;
    }
    const c = r.text[r.pos++] as string;
    if (c === '\n' && !triple) r.fail();
    if (c !== '\\' || raw) {
      out += c;
      continue;
    }
    const e = r.text[r.pos++] ?? '';
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };
    if (e in simple) out += simple[e];
    else if (e === 'x' || e === 'u') {
      const n = e === 'x' ? 2 : 4;
      const hex = r.text.slice(r.pos, r.pos + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) r.fail();
      out += String.fromCharCode(parseInt(hex, 16));
      r.pos += n;
    } else out += `\\${e}`;
  }
}

function parseNumber(r: Reader): number {
  const m = /^[+-]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?\.?)/.exec(r.text.slice(r.pos));
  if (!m || !/\d/.test(m[0])) r.fail();
  const s = m[0].replace(/_/g, '');
  r.pos += m[0].length;
  if (/[jJ]/.test(r.peek())) r.fail(); // complex numbers stay strings, as in Ansible
  const sign = s.startsWith('-') ? -1 : 1;
  const body = s.replace(/^[+-]/, '');
  if (/^0[xX]/.test(body)) return sign * parseInt(body.slice(2), 16);
  if (/^0[oO]/.test(body)) return sign * parseInt(body.slice(2), 8);
  if (/^0[bB]/.test(body)) return sign * parseInt(body.slice(2), 2);
  // Python refuses "007" (a leading zero on a non-zero integer).
  if (/^0\d/.test(body) && !/[.eE]/.test(body) && !/^0+$/.test(body)) r.fail();
  const n = Number(body);
  if (Number.isNaN(n)) r.fail();
  return sign * n;
}

function parseSeq(r: Reader, close: string): PyValue[] {
  r.pos++;
  const items: PyValue[] = [];
  for (;;) {
    r.skipSpace();
    if (r.peek() === close) {
      r.pos++;
      return items;
    }
    items.push(parseValue(r));
    r.skipSpace();
    if (r.peek() === ',') r.pos++;
    else if (r.peek() !== close) r.fail();
  }
}

function parseDict(r: Reader): { [k: string]: PyValue } {
  r.pos++;
  const out: { [k: string]: PyValue } = {};
  for (;;) {
    r.skipSpace();
    if (r.peek() === '}') {
      r.pos++;
      return out;
    }
    const k = parseValue(r);
    if (typeof k === 'object' && k !== null) r.fail(); // unhashable key
    r.skipSpace();
    if (r.peek() !== ':') r.fail();
    r.pos++;
    out[k === null ? 'None' : typeof k === 'boolean' ? (k ? 'True' : 'False') : String(k)] = parseValue(r);
    r.skipSpace();
    if (r.peek() === ',') r.pos++;
    else if (r.peek() !== '}') r.fail();
  }
}

function parseValue(r: Reader): PyValue {
  r.skipSpace();
  const c = r.peek();
  if (c === '[') return parseSeq(r, ']');
  if (c === '(') return parseSeq(r, ')');
  if (c === '{') return parseDict(r);
  if (c === "'" || c === '"' || /^[rRuUbB]['"]/.test(r.text.slice(r.pos, r.pos + 2))) {
    // Adjacent string literals concatenate, as in Python.
    let s = parseString(r);
    for (r.skipSpace(); r.peek() === "'" || r.peek() === '"'; r.skipSpace()) s += parseString(r);
    return s;
  }
  for (const [word, value] of [['True', true], ['False', false], ['None', null]] as const) {
    if (r.text.startsWith(word, r.pos) && !/[\w]/.test(r.text[r.pos + word.length] ?? '')) {
      r.pos += word.length;
      return value;
    }
  }
  return parseNumber(r);
}

/** The value literal_eval gives for `text`, or `text` itself when it is not a literal. */
export function literalEval(text: string): PyValue {
  const r = new Reader(text);
  try {
    const v = parseValue(r);
    r.skipSpace();
    if (r.pos < text.length) return text;
    return v;
  } catch (e) {
    if (e === NOT_LITERAL) return text;
    throw e;
  }
}
