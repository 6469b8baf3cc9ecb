// JSON Schema of the inventory: Ansible's YAML layout (all/hosts/children/vars) with typed
// connection keys, plus the variables the roles declare. Unknown keys are errors, except
// other ansible_* keys, which an existing Ansible inventory may carry, and vault_* keys.

// A DNS name, an IPv4 address or an IPv6 address (optionally in brackets): nothing that could
// read as an ssh option (a leading dash) or carry spaces, quotes or shell syntax.
const HOST_NAME = { type: 'string', maxLength: 253, pattern: '^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?|\\[?[0-9A-Fa-f:.]+(?:%[A-Za-z0-9]+)?\\]?)$' };
// POSIX user names (as useradd accepts them).
const USER_NAME = { type: 'string', maxLength: 32, pattern: '^[A-Za-z_][A-Za-z0-9_.-]*\\$?$' };

const CONNECTION_PROPS: Record<string, object> = {
  ansible_host: HOST_NAME,
  ansible_port: { type: 'integer', minimum: 1, maximum: 65535 },
  ansible_user: USER_NAME,
  ansible_ssh_private_key_file: { type: 'string', minLength: 1 },
  ansible_become: { type: 'boolean' },
  host: HOST_NAME,
  port: { type: 'integer', minimum: 1, maximum: 65535 },
  user: USER_NAME,
  identityFile: { type: 'string', minLength: 1 },
  become: { type: 'boolean' },
  // accept-new (default): record a first key, refuse a changed one; strict; off.
  host_key_checking: { enum: ['accept-new', 'strict', 'off'] },
  // ssh options as Ansible passes them (-o ProxyJump=…, -J, -i, -p, -l are read).
  ansible_ssh_common_args: { type: 'string' },
  ansible_ssh_extra_args: { type: 'string' },
};

export function inventorySchema(roleVars: Record<string, object>): object {
  const vars = {
    type: ['object', 'null'],
    properties: { ...roleVars, ...CONNECTION_PROPS },
    // vault_*: Ansible's convention for the vaulted values other variables refer to ("{{ vault_x }}").
    patternProperties: { '^ansible_': {}, '^vault_': {} },
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
