// JSON Schema of the inventory's `alertmanager:` block. Every key Alertmanager itself would
// reject is refused here, before any host is touched: a misspelt `recievers` would otherwise
// configure no receiver at all and every alert would go nowhere, silently.

const str = { type: 'string' };
const strList = { type: 'array', items: str };
const duration = { type: 'string', pattern: '^(?:\\d+(?:ms|s|m|h|d|w|y))+$' };

// Alertmanager 0.29's receiver integrations (alertmanager/config/config.go, Receiver).
export const RECEIVER_INTEGRATIONS = [
  'discord_configs', 'email_configs', 'incidentio_configs', 'jira_configs', 'msteams_configs',
  'msteamsv2_configs', 'opsgenie_configs', 'pagerduty_configs', 'pushover_configs',
  'rocketchat_configs', 'slack_configs', 'sns_configs', 'telegram_configs', 'victorops_configs',
  'webex_configs', 'webhook_configs', 'wechat_configs',
] as const;

// Alertmanager 0.29's `global` keys (GlobalConfig).
const GLOBAL_KEYS = [
  'resolve_timeout', 'http_config', 'smtp_from', 'smtp_hello', 'smtp_smarthost', 'smtp_auth_username',
  'smtp_auth_password', 'smtp_auth_password_file', 'smtp_auth_secret', 'smtp_auth_secret_file',
  'smtp_auth_identity', 'smtp_require_tls', 'smtp_tls_config', 'slack_api_url', 'slack_api_url_file',
  'victorops_api_key', 'victorops_api_key_file', 'victorops_api_url', 'pagerduty_url',
  'opsgenie_api_key', 'opsgenie_api_key_file', 'opsgenie_api_url', 'wechat_api_url',
  'wechat_api_secret', 'wechat_api_corp_id', 'telegram_api_url', 'webex_api_url',
  'rocketchat_api_url', 'rocketchat_api_token', 'rocketchat_api_token_file', 'rocketchat_api_token_id',
  'rocketchat_api_token_id_file', 'jira_api_url',
] as const;

const routeTiming = { group_by: strList, group_wait: duration, group_interval: duration, repeat_interval: duration };

// Child routes nest; the schema is spelled out to a depth no real routing tree needs (no $ref:
// this schema is embedded in the inventory's, whose root would be the reference's base).
function childRoute(depth: number): object {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      receiver: str,
      matchers: strList,
      continue: { type: 'boolean' },
      mute_time_intervals: strList,
      active_time_intervals: strList,
      ...routeTiming,
      ...(depth > 0 ? { routes: { type: 'array', items: childRoute(depth - 1) } } : {}),
    },
  };
}

export const ALERTMANAGER_SCHEMA: object = {
  type: 'object',
  additionalProperties: false,
  properties: {
    receivers: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1 },
          ...Object.fromEntries(RECEIVER_INTEGRATIONS.map((k) => [k, { type: 'array', items: { type: 'object' } }])),
        },
      },
    },
    route: {
      type: 'object',
      additionalProperties: false,
      properties: { receiver: str, ...routeTiming, routes: { type: 'array', items: childRoute(4) } },
    },
    global: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(GLOBAL_KEYS.map((k) => [k, {}])),
    },
  },
};
