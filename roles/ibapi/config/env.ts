/**
 * Variables of the ibapi-trading project's `.env` (pure; serialize with
 * src/stack/dotenv.ts).
 *
 * The compose file builds the API's DATABASE_URL by interpolation
 * (postgresql://USER:PASSWORD@ibapi-postgres:5432/DB), so user, password and database name
 * must be URL-safe: letters, digits and `-._~` (use a long random password).
 */
import { assertDomain, assertPort } from '../../../src/stack/checks.ts';
import { imageEnv, type ImageOverrides } from '../../../src/stack/images.ts';

export interface IbapiEnvInput {
  domain: string;
  images: ImageOverrides;
  postgres: { user: string; password: string; db: string };
  /** Ports the apps listen on inside their containers (defaults: 8000, 3000). */
  ports?: { api?: number; web?: number };
}

const URL_SAFE = /^[A-Za-z0-9._~-]+$/;

export function ibapiEnv(input: IbapiEnvInput): Record<string, string> {
  assertDomain(input.domain);
  const { user, password, db } = input.postgres;
  const keys = { user: 'postgres_user', password: 'POSTGRES_PASSWORD in .env', db: 'postgres_db' };
  for (const [k, value] of Object.entries({ user, password, db })) {
    if (!value || !URL_SAFE.test(value)) {
      throw new Error(`${keys[k as keyof typeof keys]}: must be non-empty and use only letters, digits and -._~ (it is part of DATABASE_URL)`);
    }
  }
  if (password.length < 12) throw new Error('POSTGRES_PASSWORD in .env: use at least 12 characters');
  const env: Record<string, string> = {
    ...imageEnv('ibapi-trading', input.images),
    DOMAIN: input.domain,
    POSTGRES_USER: user,
    POSTGRES_PASSWORD: password,
    POSTGRES_DB: db,
  };
  const ports = input.ports ?? {};
  if (ports.api !== undefined) {
    assertPort(ports.api, 'ports.api');
    env.IBAPI_API_PORT = String(ports.api);
  }
  if (ports.web !== undefined) {
    assertPort(ports.web, 'ports.web');
    env.IBAPI_WEB_PORT = String(ports.web);
  }
  return env;
}
