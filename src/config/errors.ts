// Errors in user input: always name the file and the path inside it. Exit code 2.
import type { ErrorObject } from 'ajv';
import { LineCounter, parseDocument, isMap, isNode, isScalar, visit, type Document } from 'yaml';
import { readFile, stat } from 'node:fs/promises';
import { suggest } from './patterns.ts';

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

const MAX_YAML_BYTES = 8 << 20;

/**
 * Reads and parses a YAML file; every problem carries file:line:col. Beyond syntax: binary
 * content, huge files, `!!binary` and other non-JSON values, alias cycles and alias bombs are
 * refused with their line instead of crashing or feeding a validator a cyclic object.
 */
export async function loadYaml(file: string, what: string): Promise<LoadedYaml> {
  return parseYamlText(await readConfigText(file, what), file, what);
}

/** A config file's text: refused with a clear message when it is a directory, huge or binary. */
export async function readConfigText(file: string, what: string): Promise<string> {
  let text: string;
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw new ConfigError(`${file}: ${what} must be a file, not a directory`);
    if (info.size > MAX_YAML_BYTES) throw new ConfigError(`${file}: ${what} is ${info.size} bytes; more than ${MAX_YAML_BYTES} is not an inventory or playbook`);
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`${file}: cannot read ${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (text.includes('\0')) throw new ConfigError(`${file}: ${what} holds NUL bytes (is it a binary file?)`);
  return text;
}

/** Parses YAML text read from `file`; see loadYaml. */
export function parseYamlText(text: string, file: string, what: string): LoadedYaml {
  const parsed = parseYamlDoc(text, file, what);
  return { ...parsed, data: yamlData(parsed, what) };
}

/**
 * The syntax and safety checks of parseYamlText, without building the data yet (the vault
 * reader decrypts `!vault` values in between). `extraTags` are tags the caller handles.
 */
export function parseYamlDoc(text: string, file: string, what: string, extraTags: readonly string[] = []): Omit<LoadedYaml, 'data'> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (pos: number | undefined): string => {
    const p = pos === undefined ? undefined : lines.linePos(pos);
    return `${file}${p ? `:${p.line}:${p.col}` : ''}`;
  };
  if (doc.errors.length) {
    const problems = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      return `${pos ? `${file}:${pos.line}:${pos.col}` : at(e.pos[0])}: ${e.message.split('\n')[0]}`;
    });
    throw new ConfigError(`${file}: invalid YAML in ${what}`, problems);
  }
  const problems: string[] = [];
  visit(doc, {
    Scalar(_, node) {
      if (node.tag && !JSON_TAGS.has(node.tag) && !extraTags.includes(node.tag)) problems.push(`${at(node.range?.[0])}: a ${node.tag.replace('tag:yaml.org,2002:', '!!')} value; only strings, numbers, booleans and null are allowed here`);
    },
    Alias(_, node, path) {
      const target = node.resolve(doc);
      if (target && path.includes(target)) problems.push(`${at(node.range?.[0])}: the alias *${node.source} refers to a node that contains it (a cycle)`);
    },
  });
  if (problems.length) throw new ConfigError(`${file}: unusable YAML in ${what}`, [...new Set(problems)].slice(0, 20));
  return { file, doc, lines };
}

/** The data of a document parseYamlDoc accepted, alias expansion bounded. */
export function yamlData(parsed: Omit<LoadedYaml, 'data'>, what: string): unknown {
  try {
    return parsed.doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    // yaml's guard against "billion laughs" alias expansion.
    throw new ConfigError(`${parsed.file}: ${what} expands aliases too many times (${(e as Error).message.split('\n')[0]}); write the values out instead`);
  }
}

const JSON_TAGS = new Set(['tag:yaml.org,2002:str', 'tag:yaml.org,2002:int', 'tag:yaml.org,2002:float', 'tag:yaml.org,2002:bool', 'tag:yaml.org,2002:null', '!']);

/** ":line" of the node at `path` in the file, or "" when it has none. */
export function lineOf(src: LoadedYaml, path: readonly (string | number)[]): string {
  const node = src.doc.getIn(path, true);
  const range = isNode(node) ? node.range : undefined;
  return range ? `:${src.lines.linePos(range[0]).line}` : '';
}

/** What one ajv error says: the path of the offending key and a message meant for a person. */
export interface AjvProblem {
  segs: string[];
  msg: string;
  unknownKey: boolean;
}

/**
 * The path and message of an ajv error, or undefined for the noise ajv emits for each branch of a
 * oneOf/anyOf. An unknown key gets a "did you mean"; a schema node carrying `x-explain` (a
 * key provision refuses, or one whose accepted forms ajv would list branch by branch) has its
 * own message instead of ajv's.
 */
export function describeAjvError(err: ErrorObject, schema?: object): AjvProblem | undefined {
  if (err.keyword === 'oneOf' || err.keyword === 'anyOf') return undefined;
  const segs = err.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let msg = err.message ?? 'is invalid';
  if (err.keyword === 'additionalProperties') {
    const key = String((err.params as { additionalProperty: string }).additionalProperty);
    segs.push(key);
    const hint = schema ? suggest(key, knownKeys(schema, err.schemaPath)) : undefined;
    return { segs, msg: `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}`, unknownKey: true };
  }
  if (err.keyword === 'required') {
    msg = `missing required key "${String((err.params as { missingProperty: string }).missingProperty)}"`;
  } else if (err.keyword === 'enum') {
    msg = `must be one of ${((err.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String).join(', ')}`;
  }
  const explained = schema ? explanationOf(schema, err.schemaPath) : undefined;
  return { segs, msg: explained ?? msg, unknownKey: false };
}

/** ajv error → "file:line: a/b/c: message" with the line of the offending node where known. */
export function formatAjvErrors(src: LoadedYaml, errors: ErrorObject[] | null | undefined, schema?: object): string[] {
  const out = new Set<string>();
  for (const err of errors ?? []) {
    const p = describeAjvError(err, schema);
    if (!p) continue;
    // An unknown key is shown on its own line (its value may be a block starting lines later).
    const node = p.unknownKey ? keyNode(src.doc, p.segs) : src.doc.getIn(p.segs, true);
    const range = isNode(node) ? node.range : undefined;
    const line = range ? `:${src.lines.linePos(range[0]).line}` : '';
    out.add(`${src.file}${line}: ${p.segs.join('/') || '(top)'}: ${p.msg}`);
  }
  if (out.size === 0 && errors?.length) out.add(`${src.file}: ${errors[0]?.message ?? 'invalid'}`);
  return [...out];
}

/** The outermost `x-explain` on the schema path of an error (the message that replaces ajv's). */
function explanationOf(schema: object, schemaPath: string): string | undefined {
  let node: unknown = schema;
  for (const seg of schemaPath.replace(/^#\//, '').split('/')) {
    if (typeof node !== 'object' || node === null) return undefined;
    const why = (node as Record<string, unknown>)['x-explain'];
    if (typeof why === 'string') return why;
    node = (node as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return undefined;
}

/** The property names the schema object at `schemaPath` (an additionalProperties error's) knows. */
function knownKeys(schema: object, schemaPath: string): string[] {
  let node: unknown = schema;
  for (const seg of schemaPath.replace(/^#\//, '').split('/').slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return [];
    node = (node as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  const props = typeof node === 'object' && node !== null ? (node as { properties?: unknown }).properties : undefined;
  return typeof props === 'object' && props !== null ? Object.keys(props) : [];
}

/** The key node of the last segment of `segs` (a YAML map's key), if it is there. */
function keyNode(doc: Document, segs: string[]): unknown {
  const parent = segs.length > 1 ? doc.getIn(segs.slice(0, -1), true) : doc.contents;
  if (!isMap(parent)) return undefined;
  const last = segs[segs.length - 1];
  const pair = parent.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === last);
  return pair?.key;
}
