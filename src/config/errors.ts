// Errors in user input: always name the file and the path inside it. Exit code 2.
import type { ErrorObject } from 'ajv';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { readFile } from 'node:fs/promises';

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly problems: string[] = [message],
  ) {
    const detail = problems.length === 1 && problems[0] === message ? [] : problems;
    super(detail.length ? `${message}\n  ${detail.join('\n  ')}` : message);
  }
}

export interface LoadedYaml {
  file: string;
  data: unknown;
  doc: Document;
  lines: LineCounter;
}

/** Reads and parses a YAML file; syntax errors carry file:line:col. */
export async function loadYaml(file: string, what: string): Promise<LoadedYaml> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${file}: cannot read ${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const problems = doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
      return `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${e.message.split('\n')[0]}`;
    });
    throw new ConfigError(`${file}: invalid YAML in ${what}`, problems);
  }
  return { file, data: doc.toJS() as unknown, doc, lines };
}

/** ":line" of the node at `path` in the file, or "" when it has none. */
export function lineOf(src: LoadedYaml, path: readonly (string | number)[]): string {
  const node = src.doc.getIn(path, true);
  const range = isNode(node) ? node.range : undefined;
  return range ? `:${src.lines.linePos(range[0]).line}` : '';
}

/** ajv error → "file:line: a/b/c: message" with the line of the offending node where known. */
export function formatAjvErrors(src: LoadedYaml, errors: ErrorObject[] | null | undefined): string[] {
  const out = new Set<string>();
  for (const err of errors ?? []) {
    const segs = err.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    let msg = err.message ?? 'is invalid';
    if (err.keyword === 'additionalProperties') {
      const key = String((err.params as { additionalProperty: string }).additionalProperty);
      segs.push(key);
      msg = 'unknown key';
    } else if (err.keyword === 'required') {
      msg = `missing required key "${String((err.params as { missingProperty: string }).missingProperty)}"`;
    } else if (err.keyword === 'enum') {
      msg = `must be one of ${((err.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String).join(', ')}`;
    }
    // Skip the noise ajv emits for each branch of a oneOf/anyOf when a clearer error exists.
    if (err.keyword === 'oneOf' || err.keyword === 'anyOf') continue;
    out.add(`${src.file}${lineOf(src, segs)}: ${segs.join('/') || '(top)'}: ${msg}`);
  }
  if (out.size === 0 && errors?.length) out.add(`${src.file}: ${errors[0]?.message ?? 'invalid'}`);
  return [...out];
}
