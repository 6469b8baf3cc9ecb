// Hosts of one inventory mostly share their variables: what is built from the same variables
// (generated config files, probes) is built once per process, not once per host.

/** `fn` memoized by the JSON of its argument. Only for pure functions of plain data. */
export function memoByValue<A, R>(fn: (arg: A) => R): (arg: A) => R {
  const cache = new Map<string, R>();
  return (arg) => {
    const key = JSON.stringify(arg);
    let v = cache.get(key);
    if (v === undefined) {
      v = fn(arg);
      cache.set(key, v);
    }
    return v;
  };
}
