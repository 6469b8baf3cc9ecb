/**
 * Variables of the infra project's `.env` (pure; the role serializes with renderDotenv).
 */
import { imageEnv, type ImageOverrides } from './images.js';

export type LogCollector = 'promtail' | 'alloy';

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const DOMAIN = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

/** Throws unless `domain` is a lowercase DNS name (service hosts are `<name>.<domain>`). */
export function assertDomain(domain: string, path = 'domain'): void {
  if (typeof domain !== 'string' || domain.length > 253 || !DOMAIN.test(domain)) {
    throw new Error(`${path}: ${JSON.stringify(domain)} is not a valid lowercase DNS name`);
  }
}

export function assertPort(port: number, path: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${path}: ${JSON.stringify(port)} is not a TCP port (1-65535)`);
  }
}

export interface InfraEnvInput {
  domain: string;
  grafanaAdminUser: string;
  grafanaAdminPassword: string;
  /** Which log shipper runs (compose profile). Default promtail, as the design names it. */
  logCollector?: LogCollector;
  /** Host port Traefik publishes. Default 80 (then omitted from the file). */
  httpPort?: number;
  images?: ImageOverrides;
}

export function infraEnv(input: InfraEnvInput): Record<string, string> {
  assertDomain(input.domain);
  if (!input.grafanaAdminUser) throw new Error('grafana admin user must not be empty');
  if (!input.grafanaAdminPassword) throw new Error('grafana admin password must not be empty');
  const logCollector = input.logCollector ?? 'promtail';
  if (logCollector !== 'promtail' && logCollector !== 'alloy') {
    throw new Error(`logCollector: ${JSON.stringify(logCollector)} must be "promtail" or "alloy"`);
  }
  const env: Record<string, string> = {
    ...imageEnv('infra', input.images),
    DOMAIN: input.domain,
    GRAFANA_ADMIN_USER: input.grafanaAdminUser,
    GRAFANA_ADMIN_PASSWORD: input.grafanaAdminPassword,
    COMPOSE_PROFILES: logCollector,
  };
  if (input.httpPort !== undefined && input.httpPort !== 80) {
    assertPort(input.httpPort, 'httpPort');
    env.HTTP_PORT = String(input.httpPort);
  }
  return env;
}
