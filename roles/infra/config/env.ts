/**
 * Variables of the infra project's `.env` (pure; the role serializes with renderDotenv).
 */
import { assertDomain, assertPort } from '../../../src/stack/checks.ts';
import { imageEnv, type ImageOverrides } from '../../../src/stack/images.ts';

export type LogCollector = 'promtail' | 'alloy';

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
  if (!input.grafanaAdminUser) throw new Error('grafana_admin_user: must not be empty');
  if (!input.grafanaAdminPassword) throw new Error('GRAFANA_ADMIN_PASSWORD in .env: must not be empty');
  const logCollector = input.logCollector ?? 'promtail';
  if (logCollector !== 'promtail' && logCollector !== 'alloy') {
    throw new Error(`log_collector: ${JSON.stringify(logCollector)} must be "promtail" or "alloy"`);
  }
  const env: Record<string, string> = {
    ...imageEnv('infra', input.images),
    DOMAIN: input.domain,
    GRAFANA_ADMIN_USER: input.grafanaAdminUser,
    COMPOSE_PROFILES: logCollector,
  };
  if (input.httpPort !== undefined && input.httpPort !== 80) {
    assertPort(input.httpPort, 'http_port');
    env.HTTP_PORT = String(input.httpPort);
  }
  return env;
}
