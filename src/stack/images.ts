/**
 * Container images for the three compose projects.
 *
 * Compose files never name an image: every service reads `${X_IMAGE:?set X_IMAGE}` from its
 * project's `.env`. This module is the single source of the default tags and of the
 * component-key -> env-var mapping. Defaults are exact upstream tags that were current in late
 * 2025 (never `latest`); the inventory may override any of them. The two trading apps are the
 * user's own images and have no default.
 */

export type ProjectName = 'infra' | 'shioajipy' | 'ibapi-trading';

/** Role name -> compose project name (and directory name under stacks_dir). */
export const COMPOSE_PROJECTS = {
  infra: 'infra',
  shioaji: 'shioajipy',
  ibapi: 'ibapi-trading',
} as const satisfies Record<string, ProjectName>;

/**
 * Pinned defaults. Notes on the choices:
 * - tempo stays on 2.9.x: Tempo 3 removed the compactor (and with it block_retention), and
 *   2.10 dropped busybox from the image.
 * - promtail 3.6.x is the last line before Promtail's end of life (2026-03-02); alloy replaces it.
 * - cadvisor moved from gcr.io to ghcr.io; v0.53.0 is the ghcr.io tag known to resolve
 *   (later releases were published under different tag names).
 * - postgres stays on 17: the postgres:18 image moved PGDATA to /var/lib/postgresql/18/docker,
 *   which would not match the postgres-data volume mounted at /var/lib/postgresql/data.
 */
export const DEFAULT_IMAGES = {
  grafana: 'grafana/grafana:12.3.0',
  prometheus: 'prom/prometheus:v3.8.1',
  alertmanager: 'prom/alertmanager:v0.29.0',
  loki: 'grafana/loki:3.6.3',
  promtail: 'grafana/promtail:3.6.3',
  alloy: 'grafana/alloy:v1.12.0',
  tempo: 'grafana/tempo:2.9.0',
  traefik: 'traefik:v3.6.2',
  portainer: 'portainer/portainer-ce:2.33.5',
  homepage: 'ghcr.io/gethomepage/homepage:v1.8.0',
  node_exporter: 'prom/node-exporter:v1.10.2',
  cadvisor: 'ghcr.io/google/cadvisor:v0.53.0',
  redis_exporter: 'oliver006/redis_exporter:v1.80.1',
  redis: 'redis:8.2.3-alpine',
  postgres: 'postgres:17.7-alpine',
  adminer: 'adminer:5.4.1',
} as const;

export type DefaultImageKey = keyof typeof DEFAULT_IMAGES;

/** Images that only the inventory can name (the user's private trading apps). */
export const APP_IMAGE_KEYS = [
  'shioaji_gateway',
  'shioaji_backend',
  'shioaji_frontend',
  'force_recorder',
  'ibapi_web',
  'ibapi_api',
] as const;

export type AppImageKey = (typeof APP_IMAGE_KEYS)[number];
export type ImageKey = DefaultImageKey | AppImageKey;

/** Component key -> env var name, per compose project. */
export const IMAGE_ENV_VARS = {
  infra: {
    grafana: 'GRAFANA_IMAGE',
    prometheus: 'PROMETHEUS_IMAGE',
    alertmanager: 'ALERTMANAGER_IMAGE',
    loki: 'LOKI_IMAGE',
    promtail: 'PROMTAIL_IMAGE',
    alloy: 'ALLOY_IMAGE',
    tempo: 'TEMPO_IMAGE',
    traefik: 'TRAEFIK_IMAGE',
    portainer: 'PORTAINER_IMAGE',
    homepage: 'HOMEPAGE_IMAGE',
    node_exporter: 'NODE_EXPORTER_IMAGE',
    cadvisor: 'CADVISOR_IMAGE',
    redis_exporter: 'REDIS_EXPORTER_IMAGE',
  },
  shioajipy: {
    shioaji_gateway: 'SHIOAJI_GATEWAY_IMAGE',
    shioaji_backend: 'SHIOAJI_BACKEND_IMAGE',
    shioaji_frontend: 'SHIOAJI_FRONTEND_IMAGE',
    force_recorder: 'FORCE_RECORDER_IMAGE',
    redis: 'REDIS_IMAGE',
  },
  'ibapi-trading': {
    ibapi_web: 'IBAPI_WEB_IMAGE',
    ibapi_api: 'IBAPI_API_IMAGE',
    postgres: 'POSTGRES_IMAGE',
    adminer: 'ADMINER_IMAGE',
  },
} as const satisfies Record<ProjectName, Partial<Record<ImageKey, string>>>;

/** Image overrides from the inventory, keyed by component key. */
export type ImageOverrides = Partial<Record<ImageKey, string>>;

// name[:tag][@digest] with an optional registry; deliberately loose, but no spaces,
// no shell/compose metacharacters ('$' would be interpolated by compose).
const IMAGE_REF = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** True when `ref` looks like a docker image reference (registry/name:tag@digest). */
export function isImageRef(ref: string): boolean {
  return IMAGE_REF.test(ref);
}

/**
 * The `<X>_IMAGE` variables for one project's .env: defaults merged with overrides.
 * Throws when an image has no value (the app images have no default) or is malformed,
 * naming the component key and the env var so the error can be traced to the inventory.
 */
export function imageEnv(project: ProjectName, overrides: ImageOverrides = {}): Record<string, string> {
  const mapping: Partial<Record<ImageKey, string>> = IMAGE_ENV_VARS[project];
  const env: Record<string, string> = {};
  for (const [key, envVar] of Object.entries(mapping) as [ImageKey, string][]) {
    const fromDefault = (DEFAULT_IMAGES as Partial<Record<ImageKey, string>>)[key];
    const image = overrides[key] ?? fromDefault;
    if (image === undefined || image === '') {
      throw new Error(`images.${key}: no image given for ${envVar} (project ${project}); set it in the inventory`);
    }
    if (!isImageRef(image)) {
      throw new Error(`images.${key}: ${JSON.stringify(image)} is not a valid image reference (${envVar})`);
    }
    env[envVar] = image;
  }
  return env;
}
