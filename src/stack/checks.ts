// Checks of values that end up in compose projects (host names, ports). Messages name the
// inventory key the user writes.

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const DOMAIN = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

/** Throws unless `domain` is a lowercase DNS name (service hosts are `<name>.<domain>`). */
export function assertDomain(domain: string, key = 'domain'): void {
  if (typeof domain !== 'string' || domain.length > 253 || !DOMAIN.test(domain)) {
    throw new Error(`${key}: ${JSON.stringify(domain)} is not a valid lowercase DNS name`);
  }
}

export function assertPort(port: number, key: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${key}: ${JSON.stringify(port)} is not a TCP port (1-65535)`);
  }
}
