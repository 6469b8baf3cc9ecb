/**
 * Variables of the ibapi-trading project's `.env` (pure; serialize with
 * src/stack/dotenv.ts).
 *
 * The compose file builds the API's DATABASE_URL by interpolation
 * (postgresql://USER:PASSWORD@ibapi-postgres:5432/DB) from percent-encoded copies of user,
 * password and database name, so a password may hold any printable character.
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

/** Percent-encodes all but RFC 3986's unreserved characters (safe in a URL's user info and path). */
export function urlEncode(value: string): string {
  return [...Buffer.from(value, 'utf8')].map((b) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

// PostgreSQL role and database names of this project: plain identifiers.
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,62}$/;

export function ibapiEnv(input: IbapiEnvInput): Record<string, string> {
  assertDomain(input.domain);
  const { user, password, db } = input.postgres;
  if (!NAME.test(user)) throw new Error(`postgres_user: ${JSON.stringify(user)} must be a plain name (letters, digits, _ . -; not starting with a digit)`);
  if (!NAME.test(db)) throw new Error(`postgres_db: ${JSON.stringify(db)} must be a plain name (letters, digits, _ . -; not starting with a digit)`);
  if (password.length < 12) throw new Error('POSTGRES_PASSWORD in .env: use at least 12 characters');
  if (/[\r\n\0]/.test(password)) throw new Error('POSTGRES_PASSWORD in .env: may not contain a line break or NUL');
  const env: Record<string, string> = {
    ...imageEnv('ibapi-trading', input.images),
    DOMAIN: input.domain,
    POSTGRES_USER: user,
    POSTGRES_PASSWORD: password,
    POSTGRES_DB: db,
    POSTGRES_USER_URLENCODED: urlEncode(user),
    POSTGRES_PASSWORD_URLENCODED: urlEncode(password),
    POSTGRES_DB_URLENCODED: urlEncode(db),
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
