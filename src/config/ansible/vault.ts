// Ansible Vault: whole encrypted files and `!vault |` values, decrypted with the `ansible-vault`
// package (the AES256 format of Ansible's VaultLib) and the password from --vault-password-file
// or $ANSIBLE_VAULT_PASSWORD_FILE. As in Ansible, an executable password file is run and its
// output is the password. Every decrypted value is a secret: callers register it for masking.
import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
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
  env?: NodeJS.ProcessEnv;
}

/** Reads the vault password once, when the first encrypted value needs it. */
export class VaultKeys {
  private password: Promise<string> | undefined;
  private vault: Vault | undefined;

  constructor(private readonly settings: VaultSettings = {}) {}

  get source(): string | undefined {
    return this.settings.passwordFile ?? ((this.settings.env ?? process.env).ANSIBLE_VAULT_PASSWORD_FILE || undefined);
  }

  /** Loads the password; `needer` names what needs it (for the error when none is given). */
  async unlock(needer: string): Promise<void> {
    this.password ??= this.readPassword(needer);
    const pw = await this.password;
    this.vault ??= new Vault({ password: pw });
  }

  private async readPassword(needer: string): Promise<string> {
    const file = this.source;
    if (!file) {
      throw new ConfigError(`${needer}: is encrypted with Ansible Vault, and no vault password was given: use --vault-password-file FILE or set ANSIBLE_VAULT_PASSWORD_FILE`);
    }
    const from = this.settings.passwordFile ? `--vault-password-file ${file}` : `ANSIBLE_VAULT_PASSWORD_FILE=${file}`;
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
        const { stdout } = await promisify(execFile)(file, [], { timeout: 60_000, maxBuffer: 1 << 20, encoding: 'utf8' });
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

  /** Decrypts one vault text; `where` is the file (and line) for errors. Unlock first. */
  decrypt(text: string, where: string): string {
    if (!this.vault) throw new Error('vault used before unlock()');
    try {
      const out = this.vault.decryptSync(text.trim(), undefined);
      if (out === undefined) throw new Error('no vault data');
      return out;
    } catch (e) {
      const msg = (e as Error).message;
      if (/integrity/i.test(msg)) throw new ConfigError(`${where}: cannot decrypt: wrong vault password (${this.source}) for this file`);
      throw new ConfigError(`${where}: not a valid Ansible Vault text (${msg})`);
    }
  }
}
