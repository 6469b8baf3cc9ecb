// JSON Schema of the inventory: Ansible's YAML layout (all/hosts/children/vars) with typed
// connection keys, plus the variables the roles declare. Unknown keys are errors, except
// other ansible_* keys, which an existing Ansible inventory may carry.

const CONNECTION_PROPS: Record<string, object> = {
  ansible_host: { type: 'string', minLength: 1 },
  ansible_port: { type: 'integer', minimum: 1, maximum: 65535 },
  ansible_user: { type: 'string', minLength: 1 },
  ansible_ssh_private_key_file: { type: 'string', minLength: 1 },
  ansible_become: { type: 'boolean' },
  host: { type: 'string', minLength: 1 },
  port: { type: 'integer', minimum: 1, maximum: 65535 },
  user: { type: 'string', minLength: 1 },
  identityFile: { type: 'string', minLength: 1 },
  become: { type: 'boolean' },
  // accept-new (default): record a first key, refuse a changed one; strict; off.
  host_key_checking: { enum: ['accept-new', 'strict', 'off'] },
};

export function inventorySchema(roleVars: Record<string, object>): object {
  const vars = {
    type: ['object', 'null'],
    properties: { ...roleVars, ...CONNECTION_PROPS },
    patternProperties: { '^ansible_': {} },
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
