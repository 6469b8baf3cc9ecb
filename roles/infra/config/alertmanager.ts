/**
 * Alertmanager configuration as data (pure). The role serializes the result with `yaml` to
 * `{stacks_dir}/infra/alertmanager/alertmanager.yml`; Alertmanager reloads it on SIGHUP.
 *
 * Receivers are Alertmanager's own receiver objects, passed through unchanged from the
 * inventory (webhook_configs, email_configs, slack_configs, ...). Without receivers a single
 * no-op receiver named `default` takes every alert: Alertmanager still dedupes and groups, and
 * the UI shows them, but nothing is sent anywhere.
 */

/** An Alertmanager receiver: `name` plus any `*_configs` lists, as in alertmanager.yml. */
export interface Receiver {
  name: string;
  [integration: string]: unknown;
}

/** A child route (Alertmanager syntax, passed through). */
export interface ChildRoute {
  receiver?: string;
  matchers?: string[];
  group_by?: string[];
  continue?: boolean;
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: ChildRoute[];
  [key: string]: unknown;
}

export interface RouteOptions {
  /** Receiver of the top-level route; default: the first receiver. */
  receiver?: string;
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: ChildRoute[];
}

export interface AlertmanagerOptions {
  receivers?: Receiver[];
  route?: RouteOptions;
  /** `global` section (e.g. smtp_smarthost); resolve_timeout defaults to 5m. */
  global?: Record<string, unknown>;
}

export interface InhibitRule {
  source_matchers: string[];
  target_matchers: string[];
  equal: string[];
}

export interface AlertmanagerConfig {
  global: Record<string, unknown>;
  route: {
    receiver: string;
    group_by: string[];
    group_wait: string;
    group_interval: string;
    repeat_interval: string;
    routes?: ChildRoute[];
  };
  inhibit_rules: InhibitRule[];
  receivers: Receiver[];
}

export const DEFAULT_GROUP_BY = ['alertname', 'severity', 'instance'];
export const DEFAULT_RECEIVER: Receiver = { name: 'default' };

const DURATION = /^(?:\d+(?:ms|s|m|h|d|w|y))+$/;

function collectRouteReceivers(routes: ChildRoute[] | undefined, out: string[]): void {
  for (const r of routes ?? []) {
    if (r.receiver !== undefined) out.push(r.receiver);
    collectRouteReceivers(r.routes, out);
  }
}

export function alertmanagerConfig(opts: AlertmanagerOptions = {}): AlertmanagerConfig {
  const receivers = opts.receivers && opts.receivers.length > 0 ? opts.receivers : [DEFAULT_RECEIVER];

  const names = new Set<string>();
  receivers.forEach((r, i) => {
    if (!r || typeof r.name !== 'string' || r.name === '') {
      throw new Error(`alertmanager.receivers[${i}].name: a receiver needs a non-empty name`);
    }
    if (names.has(r.name)) throw new Error(`alertmanager.receivers[${i}].name: duplicate receiver "${r.name}"`);
    names.add(r.name);
  });

  const route = opts.route ?? {};
  const firstReceiver = receivers[0] as Receiver;
  const top = route.receiver ?? firstReceiver.name;
  const referenced = [top];
  collectRouteReceivers(route.routes, referenced);
  for (const name of referenced) {
    if (!names.has(name)) throw new Error(`alertmanager.route: receiver "${name}" is not defined in receivers`);
  }

  const timing = {
    group_wait: route.group_wait ?? '30s',
    group_interval: route.group_interval ?? '5m',
    repeat_interval: route.repeat_interval ?? '4h',
  };
  for (const [key, value] of Object.entries(timing)) {
    if (!DURATION.test(value)) throw new Error(`alertmanager.route.${key}: "${value}" is not a duration like 30s or 4h`);
  }

  const config: AlertmanagerConfig = {
    global: { resolve_timeout: '5m', ...(opts.global ?? {}) },
    route: {
      receiver: top,
      group_by: route.group_by ?? [...DEFAULT_GROUP_BY],
      ...timing,
    },
    inhibit_rules: [
      {
        // A critical alert silences the warning of the same alert on the same instance.
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        equal: ['alertname', 'instance'],
      },
    ],
    receivers: receivers.map((r) => ({ ...r })),
  };
  if (route.routes && route.routes.length > 0) config.route.routes = route.routes;
  return config;
}

const SENSITIVE_KEY = /(url|password|secret|token|key|credentials)$/i;

/**
 * Values in Alertmanager settings that must never be shown: webhook and chat URLs (they carry
 * tokens), SMTP passwords, API keys. Masked in every log, diff and report.
 */
export function sensitiveValues(opts: AlertmanagerOptions): string[] {
  const out: string[] = [];
  const walk = (v: unknown, key: string) => {
    if (typeof v === 'string') {
      if (SENSITIVE_KEY.test(key) && v.length > 0) out.push(v);
    } else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk({ receivers: opts.receivers, global: opts.global }, '');
  return out;
}
