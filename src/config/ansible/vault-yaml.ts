// YAML as Ansible reads its vars files and inventories: a whole file may be vault-encrypted,
// and single values may be `!vault |` encrypted strings. The result is the same LoadedYaml the
// rest of the config code knows (lines for every error), plus the decrypted values (secrets).
import { LineCounter, parseDocument, visit, Scalar, type ScalarTag } from 'yaml';
import { ConfigError, readConfigText, type LoadedYaml } from '../errors.ts';
import { isVaulted, type VaultKeys } from './vault.ts';

class VaultText {
  constructor(readonly text: string) {}
}

const VAULT_TAG: ScalarTag = {
  tag: '!vault',
  identify: (v) => v instanceof VaultText,
  resolve: (str) => new VaultText(str),
};

export interface VaultedYaml extends LoadedYaml {
  secrets: string[];
}

/** Every string and number inside a value: what a vaulted file's masking must cover. */
export function leafTexts(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (typeof v === 'number') out.push(String(v));
  else if (Array.isArray(v)) v.forEach((x) => leafTexts(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => leafTexts(x, out));
  return out;
}

export async function readText(file: string, what: string): Promise<string> {
  return readConfigText(file, what);
}

/** Parses YAML text from `file` (vault-encrypted as a whole or in values). */
export async function parseVaultedYaml(text: string, file: string, what: string, keys: VaultKeys): Promise<VaultedYaml> {
  let shown = file;
  const secrets: string[] = [];
  let wholeVault = false;
  if (isVaulted(text)) {
    await keys.unlock(file);
    text = keys.decrypt(text, file);
    shown = `${file} (decrypted)`;
    wholeVault = true;
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, customTags: [VAULT_TAG] });
  if (doc.errors.length) {
    const problems = doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
      return `${shown}${pos ? `:${pos.line}:${pos.col}` : ''}: ${e.message.split('\n')[0]}`;
    });
    throw new ConfigError(`${shown}: invalid YAML in ${what}`, problems);
  }
  const tagged: { node: Scalar; text: string }[] = [];
  visit(doc, {
    Scalar(_, node) {
      if (node.value instanceof VaultText) tagged.push({ node, text: node.value.text });
    },
  });
  if (tagged.length) await keys.unlock(`${shown}:${lines.linePos(tagged[0]?.node.range?.[0] ?? 0).line}`);
  for (const t of tagged) {
    const at = `${shown}:${lines.linePos(t.node.range?.[0] ?? 0).line}`;
    const plain = keys.decrypt(t.text, at);
    // A !vault value is a string in Ansible, whatever it looks like.
    t.node.value = plain;
    t.node.tag = undefined;
    secrets.push(plain);
  }
  const data = doc.toJS() as unknown;
  if (wholeVault) secrets.push(...leafTexts(data));
  return { file: shown, data, doc, lines, secrets };
}

export async function loadVaultedYaml(file: string, what: string, keys: VaultKeys): Promise<VaultedYaml> {
  return parseVaultedYaml(await readText(file, what), file, what, keys);
}
