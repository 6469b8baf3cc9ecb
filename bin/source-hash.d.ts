/** Path, size and mtime of every source file below src/ and roles/. */
export function statSignature(root: string): string;
/** sha256 over the path and content of every .ts file below src/ and roles/. */
export function sourceHash(root: string): string;
