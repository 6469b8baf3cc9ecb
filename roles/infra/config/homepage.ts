/**
 * Homepage `services.yaml` as data (pure). The role serializes the result with `yaml` to
 * `{stacks_dir}/infra/homepage/services.yaml` (Homepage rereads it on every page load).
 *
 * Every container of the three stacks is listed once, grouped by stack, with `server: local` +
 * `container:` so Homepage shows its Docker status (docker.yaml names the `local` socket).
 * Services with a web UI link to their Traefik host `http://<name>.<domain>`; the ones without
 * (stores, exporters, shippers, the app backends) link to where you look at them instead:
 * Grafana Explore for Loki and Tempo, Prometheus' target page for exporters and app metrics.
 */
import { assertDomain, assertPort } from '../../../src/stack/checks.ts';
import type { LogCollector } from './env.ts';

export interface HomepageOptions {
  domain: string;
  logCollector?: LogCollector;
  /** Traefik's published port; links carry it when it is not 80. */
  httpPort?: number;
}

export interface HomepageService {
  href?: string;
  description: string;
  icon: string;
  server: 'local';
  container: string;
}

export type HomepageGroup = Record<string, Array<Record<string, HomepageService>>>;

export const HOMEPAGE_GROUPS = ['Infra', 'Observability', 'shioajipy', 'ibapi-trading'] as const;

interface Entry {
  group: (typeof HOMEPAGE_GROUPS)[number];
  title: string;
  container: string;
  description: string;
  icon: string;
  /** Traefik host prefix (`<ui>.<domain>`) of a service with its own UI. */
  ui?: string;
  /** Path of that UI, default `/`. */
  uiPath?: string;
  /** Otherwise: where to look at it, as [ui host prefix, path]. */
  via?: [string, string];
}

/**
 * Containers that Traefik routes (`<ui>.<domain>`), by container name. The compose labels and
 * this table must agree; test/config checks both ways.
 */
export const UI_HOSTS: Readonly<Record<string, string>> = {
  traefik: 'traefik',
  portainer: 'portainer',
  homepage: 'homepage',
  grafana: 'grafana',
  prometheus: 'prometheus',
  alertmanager: 'alertmanager',
  'shioaji-frontend': 'shioaji-frontend',
  'ibapi-web': 'ibapi-web',
  'ibapi-adminer': 'ibapi-adminer',
};

const ENTRIES: readonly Entry[] = [
  { group: 'Infra', title: 'Homepage', container: 'homepage', description: 'This portal', icon: 'homepage.png', ui: 'homepage' },
  { group: 'Infra', title: 'Traefik', container: 'traefik', description: 'Reverse proxy: routes <name>.<domain> to the services', icon: 'traefik.png', ui: 'traefik', uiPath: '/dashboard/' },
  { group: 'Infra', title: 'Portainer', container: 'portainer', description: 'Containers, images, volumes, logs', icon: 'portainer.png', ui: 'portainer' },

  { group: 'Observability', title: 'Grafana', container: 'grafana', description: 'Dashboards; Explore for logs (LogQL) and traces (TraceQL)', icon: 'grafana.png', ui: 'grafana' },
  { group: 'Observability', title: 'Prometheus', container: 'prometheus', description: 'Metrics (PromQL), 15 days', icon: 'prometheus.png', ui: 'prometheus' },
  { group: 'Observability', title: 'Alertmanager', container: 'alertmanager', description: 'Alert grouping, dedup and routing', icon: 'alertmanager.png', ui: 'alertmanager' },
  { group: 'Observability', title: 'Loki', container: 'loki', description: 'Logs, 30 days (query in Grafana Explore)', icon: 'loki.png', via: ['grafana', '/explore'] },
  { group: 'Observability', title: 'Tempo', container: 'tempo', description: 'Traces, 7 days: OTLP 4317/4318, Zipkin 9411, Jaeger 14250/14268', icon: 'mdi-chart-timeline', via: ['grafana', '/explore'] },
  { group: 'Observability', title: 'Node Exporter', container: 'node-exporter', description: 'Host CPU, memory, disk, network', icon: 'prometheus.png', via: ['prometheus', '/targets'] },
  { group: 'Observability', title: 'cAdvisor', container: 'cadvisor', description: 'Per-container resource use', icon: 'cadvisor.png', via: ['prometheus', '/targets'] },
  { group: 'Observability', title: 'Redis Exporter', container: 'redis-exporter', description: 'Redis metrics (shioajipy redis)', icon: 'redis.png', via: ['prometheus', '/targets'] },

  { group: 'shioajipy', title: 'Shioaji Frontend', container: 'shioaji-frontend', description: 'Taiwan stock-options trading UI', icon: 'mdi-chart-line', ui: 'shioaji-frontend' },
  { group: 'shioajipy', title: 'Shioaji Backend', container: 'shioaji-backend', description: 'Backend API (metrics in Prometheus)', icon: 'mdi-api', via: ['prometheus', '/targets'] },
  { group: 'shioajipy', title: 'Shioaji Gateway', container: 'shioaji-gateway', description: 'Broker gateway', icon: 'mdi-swap-horizontal', via: ['prometheus', '/targets'] },
  { group: 'shioajipy', title: 'Force Recorder', container: 'force-recorder', description: 'Market data recorder', icon: 'mdi-record-rec', via: ['prometheus', '/targets'] },
  { group: 'shioajipy', title: 'Redis', container: 'redis', description: 'Shared cache / queue', icon: 'redis.png', via: ['grafana', '/explore'] },

  { group: 'ibapi-trading', title: 'IB Web', container: 'ibapi-web', description: 'IB US-stock trading UI', icon: 'mdi-finance', ui: 'ibapi-web' },
  { group: 'ibapi-trading', title: 'IB API', container: 'ibapi-api', description: 'Backend API (metrics in Prometheus)', icon: 'mdi-api', via: ['prometheus', '/targets'] },
  { group: 'ibapi-trading', title: 'PostgreSQL', container: 'ibapi-postgres', description: 'Database (browse with Adminer)', icon: 'postgres.png', via: ['ibapi-adminer', '/'] },
  { group: 'ibapi-trading', title: 'Adminer', container: 'ibapi-adminer', description: 'Database admin UI (server: ibapi-postgres)', icon: 'adminer.png', ui: 'ibapi-adminer' },
];

const COLLECTORS: Record<LogCollector, Entry> = {
  promtail: { group: 'Observability', title: 'Promtail', container: 'promtail', description: 'Ships container logs, syslog and journal to Loki', icon: 'loki.png', via: ['grafana', '/explore'] },
  alloy: { group: 'Observability', title: 'Alloy', container: 'alloy', description: 'Ships container logs, syslog and journal to Loki', icon: 'mdi-pipe', via: ['grafana', '/explore'] },
};

export function homepageServices(opts: HomepageOptions): HomepageGroup[] {
  assertDomain(opts.domain);
  const port = opts.httpPort ?? 80;
  assertPort(port, 'http_port');
  const collector = opts.logCollector ?? 'promtail';
  if (!(collector in COLLECTORS)) throw new Error(`log_collector: ${JSON.stringify(collector)} must be "promtail" or "alloy"`);
  const base = (host: string): string => `http://${host}.${opts.domain}${port === 80 ? '' : `:${port}`}`;

  const entries = [...ENTRIES];
  const lastObservability = entries.map((e) => e.group).lastIndexOf('Observability');
  entries.splice(lastObservability + 1, 0, COLLECTORS[collector]);

  return HOMEPAGE_GROUPS.map((group) => ({
    [group]: entries
      .filter((e) => e.group === group)
      .map((e) => {
        const href = e.ui !== undefined ? `${base(e.ui)}${e.uiPath ?? '/'}` : e.via !== undefined ? `${base(e.via[0])}${e.via[1]}` : undefined;
        const service: HomepageService = {
          ...(href !== undefined ? { href } : {}),
          description: e.description,
          icon: e.icon,
          server: 'local',
          container: e.container,
        };
        return { [e.title]: service };
      }),
  }));
}
