// YAML as Ansible reads its vars files and inventories: a whole file may be vault-encrypted,
// and single values may be `!vault |` encrypted strings. The result is the same LoadedYaml the
// rest of the config code knows (lines for every error, the same checks against hostile YAML),
// plus the decrypted values (secrets).
import { isScalar, visit, type Scalar } from 'yaml';
import { parseYamlDoc, readConfigText, yamlData, type LoadedYaml } from '../errors.ts';
import { isVaulted, type VaultKeys } from './vault.ts';

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

/** Decrypts a whole vaulted file's text; other text is returned as it is. */
export async function decryptWhole(text: string, file: string, keys: VaultKeys): Promise<{ text: string; shown: string; vaulted: boolean }> {
  if (!isVaulted(text)) return { text, shown: file, vaulted: false };
  await keys.unlock(file);
  return { text: keys.decrypt(text, file), shown: `${file} (decrypted)`, vaulted: true };
}

/** Parses YAML text from `file` (vault-encrypted as a whole or in values). */
export async function parseVaultedYaml(text: string, file: string, what: string, keys: VaultKeys): Promise<VaultedYaml> {
  return parseDecrypted(await decryptWhole(text, file, keys), what, keys);
}

/** parseVaultedYaml after decryptWhole. */
export async function parseDecrypted(whole: { text: string; shown: string; vaulted: boolean }, what: string, keys: VaultKeys): Promise<VaultedYaml> {
  const parsed = parseYamlDoc(whole.text, whole.shown, what, ['!vault']);
  const tagged: Scalar[] = [];
  visit(parsed.doc, {
    Scalar(_, node) {
      if (node.tag === '!vault') tagged.push(node);
    },
  });
  const lineOf = (node: Scalar) => `${whole.shown}:${parsed.lines.linePos(node.range?.[0] ?? 0).line}`;
  const secrets: string[] = [];
  if (tagged[0]) await keys.unlock(lineOf(tagged[0]));
  for (const node of tagged) {
    if (!isScalar(node) || typeof node.value !== 'string') continue;
    const plain = keys.decrypt(node.value, lineOf(node));
    // A !vault value is a string in Ansible, whatever it looks like.
    node.value = plain;
    node.tag = undefined;
    secrets.push(plain);
  }
  const data = yamlData(parsed, what);
  if (whole.vaulted) secrets.push(...leafTexts(data));
  return { ...parsed, data, secrets };
}

export async function loadVaultedYaml(file: string, what: string, keys: VaultKeys): Promise<VaultedYaml> {
  return parseVaultedYaml(await readConfigText(file, what), file, what, keys);
}
