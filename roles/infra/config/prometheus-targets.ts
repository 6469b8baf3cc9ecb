/**
 * Prometheus file_sd targets for the trading apps (pure). The role serializes the result with
 * `yaml` to `{stacks_dir}/infra/prometheus/targets/apps.yml`; Prometheus watches that directory
 * (file_sd_configs) and picks changes up without a reload.
 *
 * Each app becomes one target group whose `job` label overrides the scrape job's name, so
 * alerts and dashboards see `job="shioaji-backend"` etc. The apps are expected to expose
 * Prometheus metrics (including `http_requests_total{status=...}` for the API error alert).
 */

export interface AppTarget {
  /** Value of the `job` label. */
  job: string;
  /** `host:port` pairs; hosts are container names reachable from prometheus. */
  targets: string[];
  /** Metrics path if not /metrics. */
  metricsPath?: string;
  /** Extra target labels. */
  labels?: Record<string, string>;
}

export interface FileSdGroup {
  targets: string[];
  labels: Record<string, string>;
}

export const DEFAULT_APP_TARGETS: readonly AppTarget[] = [
  { job: 'shioaji-backend', targets: ['shioaji-backend:8000'], labels: { compose_project: 'shioajipy' } },
  { job: 'shioaji-gateway', targets: ['shioaji-gateway:8000'], labels: { compose_project: 'shioajipy' } },
  { job: 'force-recorder', targets: ['force-recorder:8000'], labels: { compose_project: 'shioajipy' } },
  { job: 'ibapi-api', targets: ['ibapi-api:8000'], labels: { compose_project: 'ibapi-trading' } },
];

const HOST_PORT = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:\d{1,5}$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function appTargets(apps: readonly AppTarget[] = DEFAULT_APP_TARGETS): FileSdGroup[] {
  const jobs = new Set<string>();
  return apps.map((app, i) => {
    const where = `app_metrics_targets[${i}]`;
    if (!app.job) throw new Error(`${where}.job: must not be empty`);
    if (jobs.has(app.job)) throw new Error(`${where}.job: duplicate job "${app.job}"`);
    jobs.add(app.job);
    if (!Array.isArray(app.targets) || app.targets.length === 0) {
      throw new Error(`${where}.targets: needs at least one host:port`);
    }
    app.targets.forEach((t, j) => {
      const port = Number(t.split(':').pop());
      if (!HOST_PORT.test(t) || port < 1 || port > 65535) {
        throw new Error(`${where}.targets[${j}]: "${t}" is not host:port`);
      }
    });
    const labels: Record<string, string> = {};
    for (const [name, value] of Object.entries(app.labels ?? {})) {
      if (!LABEL_NAME.test(name) || name.startsWith('__')) {
        throw new Error(`${where}.labels.${name}: not a valid Prometheus label name`);
      }
      labels[name] = value;
    }
    labels.job = app.job;
    if (app.metricsPath !== undefined) {
      if (!app.metricsPath.startsWith('/')) throw new Error(`${where}.metricsPath: must start with /`);
      labels.__metrics_path__ = app.metricsPath;
    }
    return { targets: [...app.targets], labels };
  });
}
