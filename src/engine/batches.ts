// Rolling runs, as Ansible's `serial` and `max_fail_percentage` make them: the run's hosts are
// cut into batches (a size, a percentage of the host count, or a list of those whose last item
// repeats), each batch runs to its end before the next starts, and a batch that fails too much
// stops the ones after it. Pure: the runner asks, this answers.

/** One `serial` item: a host count (≥ 1) or a percentage string such as "30%". */
export type SerialItem = number | string;

export interface Rollout {
  /** Batch sizes in order; the last repeats. Empty: one batch of every host. */
  serial: SerialItem[];
  /** Later batches are not started when a batch's failed share is strictly greater than this. */
  maxFailPercentage?: number;
}

/**
 * A serial item as a host count, the way Ansible's pct_to_int does it: a percentage of the
 * host count, rounded down with the same floating-point expression (so 29% of 100 hosts is 28,
 * as in Ansible), and never less than 1.
 */
export function serialCount(item: SerialItem, total: number): number {
  if (typeof item === 'number') return item;
  const pct = Number(item.replace(/%$/, ''));
  return Math.trunc((pct / 100) * total) || 1;
}

/** The batch sizes for `total` hosts (they add up to `total`; the last may be short). */
export function batchSizes(serial: readonly SerialItem[], total: number): number[] {
  if (total <= 0) return [];
  if (!serial.length) return [total];
  const sizes: number[] = [];
  let left = total;
  for (let i = 0; left > 0; i = Math.min(i + 1, serial.length - 1)) {
    const n = Math.min(Math.max(1, serialCount(serial[i] as SerialItem, total)), left);
    sizes.push(n);
    left -= n;
  }
  return sizes;
}

/** Cuts `items` (in run order) into the batches `serial` asks for. */
export function splitBatches<T>(items: readonly T[], serial: readonly SerialItem[]): T[][] {
  const out: T[][] = [];
  let at = 0;
  for (const n of batchSizes(serial, items.length)) {
    out.push(items.slice(at, at + n));
    at += n;
  }
  return out;
}

/**
 * Whether the batches after this one must not start, and why. `failed` counts the batch's hosts
 * that failed or were unreachable. As in Ansible: more than max_fail_percentage failed (strictly
 * greater: 1 of 4 with 25% goes on), or, whatever the percentage, every host of the batch failed.
 */
export function stopAfterBatch(batch: number, size: number, failed: number, maxFailPercentage?: number): string | undefined {
  if (size <= 0 || failed <= 0) return undefined;
  const share = (failed / size) * 100;
  const counted = `${failed} of ${size} host${size === 1 ? '' : 's'} failed or unreachable`;
  if (maxFailPercentage !== undefined && share > maxFailPercentage) {
    return `max_fail_percentage exceeded in batch ${batch} (${counted}: ${round(share)}% > ${maxFailPercentage}%)`;
  }
  if (failed >= size) return `every host of batch ${batch} failed (${counted})`;
  return undefined;
}

function round(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}
