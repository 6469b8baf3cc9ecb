// What provision does with Ansible's behavioural inventory parameters (ansible_*): each key it
// knows is honoured (read by connectionOf), refused (an error naming where it is set, because
// ignoring it would run differently from what the user asked for), or ignored with one note per
// run (it only tunes how Ansible itself runs: Python, its ssh binary, its temp files). Any other
// ansible_* key is an unknown key, like any other typo.

/** Keys accepted and ignored, with the reason the note gives. */
export const IGNORED_ANSIBLE_KEYS: Readonly<Record<string, string>> = (() => {
  const noPython = 'provision runs no Python or other interpreter on hosts, only bash';
  const ownSsh = 'provision speaks SSH itself, over one connection and one shell per host';
  const bash = 'provision always runs bash';
  return {
    ansible_python_interpreter: noPython,
    ansible_shell_type: bash,
    ansible_shell_executable: bash,
    ansible_ssh_pipelining: ownSsh,
    ansible_pipelining: ownSsh,
    ansible_ssh_executable: ownSsh,
    ansible_scp_extra_args: ownSsh,
    ansible_sftp_extra_args: ownSsh,
    ansible_sftp_batch_mode: ownSsh,
    ansible_scp_if_ssh: ownSsh,
    ansible_ssh_transfer_method: ownSsh,
    ansible_control_path: ownSsh,
    ansible_control_path_dir: ownSsh,
    ansible_ssh_use_tty: ownSsh,
    ansible_ssh_retries: 'provision retries a dropped connection once, then reports the host unreachable',
    ansible_remote_tmp: 'provision uploads into a private mktemp directory under /tmp',
  };
})();

/** ansible_perl_interpreter, ansible_ruby_interpreter, …: Ansible's per-language interpreters. */
export const INTERPRETER_KEY = '^ansible_[a-z0-9_]+_interpreter$';

/** Why a key is ignored, or undefined when provision reads it (or does not know it). */
export function ignoredReason(key: string): string | undefined {
  if (Object.hasOwn(IGNORED_ANSIBLE_KEYS, key)) return IGNORED_ANSIBLE_KEYS[key];
  if (new RegExp(INTERPRETER_KEY).test(key)) return IGNORED_ANSIBLE_KEYS.ansible_python_interpreter;
  return undefined;
}

/**
 * Ansible's boolean(): true, "yes", "on", "1", "true", "t", "y", 1 (any case) are true; their
 * opposites false. Anything else is undefined, never "truthy": the string "no" is false.
 */
export function ansibleBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v !== 'string') return undefined;
  const s = v.trim().toLowerCase();
  if (['y', 'yes', 'on', '1', 'true', 't'].includes(s)) return true;
  if (['n', 'no', 'off', '0', 'false', 'f'].includes(s)) return false;
  return undefined;
}

/** One line per ignored key, naming the hosts that carry it (a few, then a count). */
export function ignoredKeyNotes(hosts: Iterable<{ name: string; vars: Record<string, unknown> }>): string[] {
  const carriers = new Map<string, string[]>();
  for (const h of hosts) {
    for (const k of Object.keys(h.vars)) {
      if (!ignoredReason(k)) continue;
      const list = carriers.get(k) ?? [];
      list.push(h.name);
      carriers.set(k, list);
    }
  }
  return [...carriers].map(([k, names]) => {
    const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? ` and ${names.length - 3} more` : '');
    return `provision: note: ${k} is ignored (${shown}): ${ignoredReason(k)}`;
  });
}
