// A .env checked line by line before dotenv reads it. dotenv never fails: an unterminated
// quote silently becomes part of the value (a password with a stray quote), a line that is not
// KEY=VALUE is skipped, and a repeated key quietly wins. Each of these is an error naming the line.

export interface DotenvProblem {
  line: number;
  message: string;
}

const KEY = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=/;

export function checkDotenv(text: string): DotenvProblem[] {
  const problems: DotenvProblem[] = [];
  const seen = new Map<string, number>();
  let pos = 0;
  let line = 1;
  const advanceTo = (end: number): void => {
    for (let i = pos; i < end; i++) if (text[i] === '\n') line++;
    pos = end;
  };
  while (pos < text.length) {
    const eol = text.indexOf('\n', pos);
    const lineEnd = eol === -1 ? text.length : eol;
    const raw = text.slice(pos, lineEnd).replace(/\r$/, '');
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      advanceTo(eol === -1 ? text.length : eol + 1);
      continue;
    }
    const m = KEY.exec(trimmed);
    if (!m) {
      problems.push({ line, message: `not KEY=VALUE: ${JSON.stringify(trimmed.split('=')[0]?.slice(0, 40) ?? '')}${trimmed.includes('=') ? ' is not a valid variable name' : ' has no "="'}` });
      advanceTo(eol === -1 ? text.length : eol + 1);
      continue;
    }
    const key = m[1]!;
    const startLine = line;
    if (seen.has(key)) problems.push({ line, message: `${key} is set again (first on line ${seen.get(key)}); remove one` });
    else seen.set(key, line);
    const valueStart = pos + raw.indexOf('=') + 1;
    let v = valueStart;
    while (v < lineEnd && (text[v] === ' ' || text[v] === '\t')) v++;
    const q = text[v];
    if (q === '"' || q === "'" || q === '`') {
      // dotenv's own rule: the quoted value is the longest q…q (\q allowed inside) that is
      // followed only by blanks or a comment on its line; backslash-quote may end a value.
      const e = q;
      const whole = new RegExp(`${e}(?:\\\\${e}|[^${e}])*${e}[ \\t]*(?:#[^\\n]*)?(?=\\r?\\n|$)`, 'y');
      whole.lastIndex = v;
      const m2 = whole.exec(text);
      if (m2) {
        const end = v + m2[0].length;
        const after = text.indexOf('\n', end);
        advanceTo(after === -1 ? text.length : after + 1);
        continue;
      }
      const closed = new RegExp(`${e}(?:\\\\${e}|[^${e}])*${e}`, 'y');
      closed.lastIndex = v;
      const m3 = closed.exec(text);
      if (!m3) {
        problems.push({ line: startLine, message: `${key}: the value opens a ${q} quote that is never closed` });
        break;
      }
      const close = v + m3[0].length - 1;
      const after = text.indexOf('\n', close);
      const rest = text.slice(close + 1, after === -1 ? text.length : after).trim();
      problems.push({ line: startLine, message: `${key}: text after the closing ${q} quote (${JSON.stringify(rest.slice(0, 20))}); quote the whole value` });
      advanceTo(after === -1 ? text.length : after + 1);
      continue;
    }
    advanceTo(eol === -1 ? text.length : eol + 1);
  }
  return problems;
}
