// Secret masking: every text that leaves src/remote (errors, logs, diffs, reports) passes here.

export class Masker {
  private readonly values = new Set<string>();

  add(...secrets: readonly string[]): void {
    // Very short values would mask ordinary words ("1", "on"): they are refused at load time.
    for (const s of secrets) if (s.length >= 4) this.values.add(s);
  }

  mask(text: string): string {
    let out = text;
    // Longest first, so a secret that contains another is masked whole.
    for (const s of [...this.values].sort((a, b) => b.length - a.length)) {
      out = out.split(s).join('***');
    }
    return out;
  }

  get size(): number {
    return this.values.size;
  }
}
