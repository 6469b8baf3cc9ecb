/**
 * Variables of the shioajipy project's `.env` (pure; serialize with src/stack/dotenv.ts).
 * The app images have no default: the inventory must name them.
 */
import { assertDomain, assertPort } from '../../../src/stack/checks.ts';
import { imageEnv, type ImageOverrides } from '../../../src/stack/images.ts';

export interface ShioajiEnvInput {
  domain: string;
  images: ImageOverrides;
  /** Ports the apps listen on inside their containers (defaults: 8000, 8000, 3000). */
  ports?: { gateway?: number; backend?: number; frontend?: number };
}

export function shioajiEnv(input: ShioajiEnvInput): Record<string, string> {
  assertDomain(input.domain);
  const env: Record<string, string> = { ...imageEnv('shioajipy', input.images), DOMAIN: input.domain };
  const ports = input.ports ?? {};
  const portVars = [
    ['gateway', 'SHIOAJI_GATEWAY_PORT'],
    ['backend', 'SHIOAJI_BACKEND_PORT'],
    ['frontend', 'SHIOAJI_FRONTEND_PORT'],
  ] as const;
  for (const [key, envVar] of portVars) {
    const port = ports[key];
    if (port !== undefined) {
      assertPort(port, `ports.${key}`);
      env[envVar] = String(port);
    }
  }
  return env;
}
