// JSON Schema of the inventory: Ansible's YAML layout (all/hosts/children/vars) with typed
// connection keys, plus the variables the roles declare. Unknown keys are errors, ansible_*
// keys too: those provision knows are honoured, refused with the reason, or accepted and
// ignored with a note (src/config/ansible-keys.ts).
import { IGNORED_ANSIBLE_KEYS, INTERPRETER_KEY } from './ansible-keys.ts';

// A DNS name, an IPv4 address or an IPv6 address (optionally in brackets): nothing that could
// read as an ssh option (a leading dash) or carry spaces, quotes or shell syntax.
const HOST_NAME = { type: 'string', maxLength: 253, pattern: '^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?|\\[?[0-9A-Fa-f:.]+(?:%[A-Za-z0-9]+)?\\]?)$' };
// POSIX user names (as useradd accepts them).
const USER_NAME = { type: 'string', maxLength: 32, pattern: '^[A-Za-z_][A-Za-z0-9_.-]*\\$?$' };
// A port as Ansible takes it: 22 or "22" (1-65535).
const PORT = {
  anyOf: [
    { type: 'integer', minimum: 1, maximum: 65535 },
    { type: 'string', pattern: '^(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$' },
  ],
  'x-explain': 'must be a port number from 1 to 65535 (22 or "22")',
};
// A boolean as Ansible's boolean() takes it (see ansibleBool): true/false, yes/no, on/off, 1/0, t/f, y/n, any case.
const BOOL = {
  anyOf: [{ type: 'boolean' }, { enum: [0, 1] }, { type: 'string', pattern: '^(?:[Yy](?:[Ee][Ss])?|[Nn][Oo]?|[Oo][Nn]|[Oo][Ff][Ff]|[Tt](?:[Rr][Uu][Ee])?|[Ff](?:[Aa][Ll][Ss][Ee])?|[01])$' }],
  'x-explain': 'must be a boolean (true/false, yes/no, on/off or 1/0)',
};
const SECONDS = {
  anyOf: [{ type: 'integer', minimum: 1, maximum: 3600 }, { type: 'string', pattern: '^[1-9][0-9]{0,3}$' }],
  'x-explain': 'must be a whole number of seconds from 1 to 3600',
};
const PASSWORD = { type: ['string', 'number'], 'x-explain': 'must be a string' };
const refused = (why: string) => ({ not: {}, 'x-explain': why });
const NO_SSH_PASSWORD = refused('SSH passwords are not used (and never printed): log in with a key file (ansible_ssh_private_key_file) or a key in ssh-agent');

const CONNECTION_PROPS: Record<string, object> = {
  ansible_host: HOST_NAME,
  ansible_ssh_host: HOST_NAME,
  ansible_port: PORT,
  ansible_ssh_port: PORT,
  ansible_user: USER_NAME,
  ansible_ssh_user: USER_NAME,
  ansible_ssh_private_key_file: { type: 'string', minLength: 1 },
  ansible_private_key_file: { type: 'string', minLength: 1 },
  ansible_become: BOOL,
  ansible_become_password: PASSWORD,
  ansible_become_pass: PASSWORD,
  ansible_sudo_pass: PASSWORD,
  // Every role installs packages and writes under /etc and /opt: only root will do.
  ansible_become_user: { const: 'root', 'x-explain': 'only root is supported (the roles install packages and write under /etc and /opt as root); remove the key or set it to root' },
  ansible_become_method: { const: 'sudo', 'x-explain': 'only sudo is supported; remove the key or set it to sudo' },
  // provision runs "sudo -H" with -n (passwordless) or -S (a password on stdin) itself.
  ansible_become_flags: { type: 'string', pattern: '^\\s*(?:-[HSn]+\\s*)*$', 'x-explain': 'provision runs sudo -H itself (with -n or -S); other sudo flags are not supported, remove the key' },
  ansible_become_exe: refused('provision runs the sudo found on the PATH; another become executable is not supported, remove the key'),
  ansible_connection: {
    enum: ['ssh', 'smart', 'paramiko'],
    'x-explain': 'provision reaches every host over SSH (ssh, smart or paramiko); local and other connection types are not supported. To provision this machine, give it ansible_host: 127.0.0.1 and a key its ansible_user accepts',
  },
  ansible_ssh_pass: NO_SSH_PASSWORD,
  ansible_ssh_password: NO_SSH_PASSWORD,
  ansible_password: NO_SSH_PASSWORD,
  ansible_timeout: SECONDS,
  ansible_ssh_timeout: SECONDS,
  ansible_host_key_checking: BOOL,
  ansible_ssh_host_key_checking: BOOL,
  host: HOST_NAME,
  port: PORT,
  user: USER_NAME,
  identityFile: { type: 'string', minLength: 1 },
  become: BOOL,
  // accept-new (default): record a first key, refuse a changed one; strict; off.
  host_key_checking: { enum: ['accept-new', 'strict', 'off'] },
  // ssh options as Ansible passes them (-o ProxyJump=…, -J, -i, -p, -l are read).
  ansible_ssh_args: { type: 'string' },
  ansible_ssh_common_args: { type: 'string' },
  ansible_ssh_extra_args: { type: 'string' },
  ...Object.fromEntries(Object.keys(IGNORED_ANSIBLE_KEYS).map((k) => [k, {}])),
};

export function inventorySchema(roleVars: Record<string, object>): object {
  const vars = {
    type: ['object', 'null'],
    properties: { ...roleVars, ...CONNECTION_PROPS },
    // vault_*: Ansible's convention for the vaulted values other variables refer to ("{{ vault_x }}").
    patternProperties: { [INTERPRETER_KEY]: {}, '^vault_': {} },
    additionalProperties: false,
  };
  return {
    $id: 'inventory',
    type: 'object',
    minProperties: 1,
    additionalProperties: { $ref: '#/$defs/group' },
    $defs: {
      vars,
      group: {
        type: ['object', 'null'],
        additionalProperties: false,
        properties: {
          hosts: { type: ['object', 'null'], additionalProperties: { $ref: '#/$defs/vars' } },
          vars: { $ref: '#/$defs/vars' },
          children: { type: ['object', 'null'], additionalProperties: { $ref: '#/$defs/group' } },
        },
      },
    },
  };
}

/** The vars of one group or host alone (INI inventories check each vars line with it). */
export function inventoryVarsSchema(roleVars: Record<string, object>): object {
  const { $defs } = inventorySchema(roleVars) as { $defs: { vars: object } };
  return { $id: 'inventory-vars', ...$defs.vars };
}
