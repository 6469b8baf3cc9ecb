// Ansible Vault: whole encrypted files and `!vault |` values, decrypted with the `ansible-vault`
// package (the AES256 format of Ansible's VaultLib) and the password from --vault-password-file
// or $ANSIBLE_VAULT_PASSWORD_FILE. As in Ansible, an executable password file is run and its
// output is the password. Every decrypted value is a secret: callers register it for masking.
import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import { Vault } from 'ansible-vault';
import { ConfigError } from '../errors.ts';

const HEADER = '$ANSIBLE_VAULT;';

export function isVaulted(text: string): boolean {
  return text.trimStart().startsWith(HEADER);
}

export interface VaultSettings {
  /** --vault-password-file (wins over the environment). */
  passwordFile?: string;
  /** --vault-id [label@]source, each given (a password file or script; "prompt" is refused). */
  ids?: string[];
  env?: NodeJS.ProcessEnv;
}

interface Source {
  label: string;
  file: string;
  /** How the user named it, for messages. */
  from: string;
}

/** A vault text's label (format 1.2 headers carry one: "$ANSIBLE_VAULT;1.2;AES256;prod"). */
function labelOf(text: string): string | undefined {
  return text.trimStart().split(/\r?\n/, 1)[0]?.split(';')[3]?.trim() || undefined;
}

/** Reads the vault passwords once, when the first encrypted value needs them. */
export class VaultKeys {
  private loading: Promise<{ source: Source; vault: Vault }[]> | undefined;
  private keys: { source: Source; vault: Vault }[] | undefined;

  constructor(private readonly settings: VaultSettings = {}) {}

  private get sources(): Source[] {
    const out: Source[] = [];
    for (const id of this.settings.ids ?? []) {
      const at = id.indexOf('@');
      const label = at > 0 ? id.slice(0, at) : 'default';
      const file = at >= 0 ? id.slice(at + 1) : id;
      if (file === 'prompt') throw new ConfigError(`--vault-id ${id}: provision does not prompt for passwords; give a password file or a script that prints the password (--vault-id ${label}@FILE)`);
      out.push({ label, file, from: `--vault-id ${id}` });
    }
    if (this.settings.passwordFile) out.push({ label: 'default', file: this.settings.passwordFile, from: `--vault-password-file ${this.settings.passwordFile}` });
    const env = (this.settings.env ?? process.env).ANSIBLE_VAULT_PASSWORD_FILE;
    if (!out.length && env) out.push({ label: 'default', file: env, from: `ANSIBLE_VAULT_PASSWORD_FILE=${env}` });
    return out;
  }

  /** Where the passwords come from, for messages. */
  get source(): string | undefined {
    const list = this.sources;
    return list.length ? list.map((s) => s.from).join(', ') : undefined;
  }

  /** Loads the passwords; `needer` names what needs them (for the error when none is given). */
  async unlock(needer: string): Promise<void> {
    this.loading ??= (async () => {
      const list = this.sources;
      if (!list.length) {
        throw new ConfigError(`${needer}: is encrypted with Ansible Vault, and no vault password was given: use --vault-password-file FILE (or --vault-id [label@]FILE) or set ANSIBLE_VAULT_PASSWORD_FILE`);
      }
      const out: { source: Source; vault: Vault }[] = [];
      for (const source of list) out.push({ source, vault: new Vault({ password: await this.readPassword(source) }) });
      return out;
    })();
    this.keys = await this.loading;
  }

  private async readPassword({ file, from, label }: Source): Promise<string> {
    let text: string;
    try {
      if (statSync(file).isDirectory()) throw new ConfigError(`${from}: is a directory, not a password file`);
      let executable = true;
      try {
        accessSync(file, constants.X_OK);
      } catch {
        executable = false;
      }
      if (executable) {
        // A password script (e.g. reading a password manager): its standard output is the password.
        // A vault-id "client" script (name ending in -client) is told which label is wanted, as Ansible does.
        const args = /-client(\.[^/]*)?$/.test(basename(file)) ? ['--vault-id', label] : [];
        const { stdout } = await promisify(execFile)(file, args, { timeout: 60_000, maxBuffer: 1 << 20, encoding: 'utf8' });
        text = stdout;
      } else text = readFileSync(file, 'utf8');
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      throw new ConfigError(`${from}: cannot read the vault password (${err.code ?? (err.stderr?.trim() || err.message.split('\n')[0])})`);
    }
    const pw = text.trim();
    if (!pw) throw new ConfigError(`${from}: the vault password is empty`);
    return pw;
  }

  /**
   * Decrypts one vault text; `where` is the file (and line) for errors. Unlock first. As in
   * Ansible, the password whose label the text carries is tried first, then the others.
   */
  decrypt(text: string, where: string): string {
    if (!this.keys) throw new Error('vault used before unlock()');
    const label = labelOf(text);
    const ordered = [...this.keys].sort((a, b) => Number(b.source.label === label) - Number(a.source.label === label));
    let last = '';
    for (const k of ordered) {
      try {
        const out = k.vault.decryptSync(text.trim(), undefined);
        if (out === undefined) throw new Error('no vault data');
        return out;
      } catch (e) {
        last = (e as Error).message;
        if (!/integrity/i.test(last)) throw new ConfigError(`${where}: not a valid Ansible Vault text (${last})`);
      }
    }
    const tried = this.keys.map((k) => k.source.from).join(', ');
    throw new ConfigError(`${where}: cannot decrypt: wrong vault password (${tried}) for this ${label ? `value (vault id "${label}")` : 'file'}`);
  }
}
