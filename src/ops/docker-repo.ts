// Docker's apt repository (or a mirror of it): the signing key in /etc/apt/keyrings and apt's
// package lists for it. The sources entry itself is a plain file task (see roles/docker).
import { sh } from '../remote/command.ts';
import { textRead } from '../engine/read.ts';
import { change, defineTask, differs, inSync } from '../engine/task.ts';
import type { Task, TaskContext } from '../engine/types.ts';
import { APT_RETRY, waitForAptLocks, type AptRetry } from './apt.ts';
import { aptSignatureFailures, describeSignatureFailure } from './apt-signature.ts';
import { DOCKER_KEY_PATH, type DockerRepo } from './docker-install.ts';
import { HASH_CACHE_DIR } from './compose.ts';

/** Which URL the installed key came from: a changed `docker.official_key_url` fetches it again. */
export const KEY_SOURCE_PATH = `${HASH_CACHE_DIR}/docker-apt-key.source`;
const MISSING = '__missing__';

export type RepoOf = (ctx: TaskContext) => DockerRepo;

export function dockerKeyTask(repoOf: RepoOf, when: (ctx: TaskContext) => true | string, onChanged: () => void = () => {}): Task {
  return defineTask({
    name: "Docker's apt signing key",
    when,
    reads: { source: textRead(sh`if [ -s ${DOCKER_KEY_PATH} ]; then cat ${KEY_SOURCE_PATH} 2>/dev/null || true; else echo ${MISSING}; fi`) },
    check: (ctx, { source }) => {
      const { keyUrl, keyPath } = repoOf(ctx);
      if (source === MISSING) return differs(`${keyPath} missing`);
      if (source !== keyUrl) return differs(`${keyPath} came from ${source || 'elsewhere'}, wanted from ${keyUrl}`);
      return inSync(`${keyPath} from ${keyUrl}`);
    },
    apply: async (ctx) => {
      const { keyUrl, keyPath } = repoOf(ctx);
      // An armored key is installed as served; a binary one is armored (the keyring is .asc).
      // Anything gpg cannot read as a public key (an HTML error page) is refused.
      const r = await ctx.run(
        sh`install -d -m 0755 /etc/apt/keyrings ${HASH_CACHE_DIR}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if ! curl -fsSL --retry 3 --max-time 120 ${keyUrl} -o "$tmp/key" 2>"$tmp/err"; then
  echo "could not download Docker's apt key from ${keyUrl}: $(tr '\\n' ' ' <"$tmp/err")" >&2; exit 3
fi
export GNUPGHOME="$tmp/gnupg"; install -d -m 0700 "$GNUPGHOME"
if ! gpg --batch --show-keys "$tmp/key" >/dev/null 2>&1; then
  echo "${keyUrl} did not serve an OpenPGP public key" >&2; exit 4
fi
if head -c 36 "$tmp/key" | grep -q -- '-----BEGIN PGP PUBLIC KEY BLOCK-----'; then cp "$tmp/key" "$tmp/key.asc"
else gpg --batch --quiet --import "$tmp/key" && gpg --batch --armor --export >"$tmp/key.asc"; fi
install -m 0644 "$tmp/key.asc" ${keyPath}
printf '%s\\n' ${keyUrl} >${KEY_SOURCE_PATH}`,
        { nothrow: true, timeoutMs: 5 * 60_000 },
      );
      if (!r.ok) throw new Error(r.stderr.trim().split('\n').pop() || `fetching ${keyUrl} failed (exit ${r.exitCode})`);
      onChanged();
      return { reason: `${keyPath} fetched from ${keyUrl}` };
    },
  });
}

/** Pure: does `apt-cache madison docker-ce` list a version from this repository and suite? */
export function repoListed(madison: string, repo: Pick<DockerRepo, 'url' | 'suite'>): string | undefined {
  for (const line of madison.split('\n')) {
    const [, version, from] = line.split('|').map((s) => s.trim());
    if (version && from?.startsWith(`${repo.url} ${repo.suite}/stable `)) return version;
  }
  return undefined;
}

/**
 * apt has read the repository: `apt-get update` when docker-ce is not known from it yet, or
 * when the key was just replaced (lists read with the old key prove nothing about the new one).
 * A signature that does not check out fails here, naming the repository and the key's URL.
 */
export function dockerRepoListsTask(repoOf: RepoOf, when: (ctx: TaskContext) => true | string, keyReplaced: () => boolean, retry: AptRetry = APT_RETRY): Task {
  const madison = textRead(sh`apt-cache madison docker-ce 2>/dev/null || true`);
  return defineTask({
    name: "apt's package lists include Docker's repository",
    when,
    reads: { madison },
    check: (ctx, { madison: m }) => {
      const repo = repoOf(ctx);
      if (keyReplaced()) return change(`the key changed: apt must read ${repo.url} ${repo.suite} again`, null);
      const version = repoListed(m, repo);
      return version ? inSync(`docker-ce ${version} from ${repo.url} ${repo.suite}`) : change(`apt has not read ${repo.url} ${repo.suite} yet`, null);
    },
    apply: async (ctx) => {
      const repo = repoOf(ctx);
      const said: string[] = [];
      for (let attempt = 0; ; attempt++) {
        const waited = await waitForAptLocks(ctx, retry);
        if (waited) said.push(waited);
        ctx.progress(`apt-get update (${repo.url} ${repo.suite})`);
        // apt-get update exits 0 when a repository's signature fails (a warning): read its words.
        const r = await ctx.run(sh`rc=0; apt-get -q update 2>&1 || rc=$?; touch /var/lib/apt/lists/partial; exit $rc`, { nothrow: true, timeoutMs: 10 * 60_000 });
        const out = `${r.stdout}\n${r.stderr}`;
        const bad = aptSignatureFailures(out).find((f) => f.repo.replace(/\/+$/, '') === repo.url && f.suite === repo.suite);
        if (bad) {
          // The next run fetches the key again, even from the same URL (a mirror may fix its key).
          await ctx.run(sh`rm -f ${KEY_SOURCE_PATH}`, { nothrow: true });
          throw new Error(`${describeSignatureFailure(bad)}. The key in ${repo.keyPath} (from ${repo.keyUrl}) does not sign this repository: check docker.official_key_url and docker.official_repo in the inventory.`);
        }
        const version = repoListed((await ctx.run(sh`apt-cache madison docker-ce 2>/dev/null || true`)).stdout, repo);
        if (version) return { reason: `docker-ce ${version} available from ${repo.url} ${repo.suite}${said.length ? ` (${said.join('; ')})` : ''}` };
        const about = out.split('\n').filter((l) => l.includes(repo.url) && /^(E|W|Err):/.test(l.trim()));
        const pause = retry.backoffMs[attempt];
        if (pause === undefined || !about.some((l) => /Could not (resolve|connect)|Temporary failure|timed out|Connection failed/i.test(l))) {
          const why = about.length ? about.join('\n') : `it lists no docker-ce for ${repo.suite}/${ctx.facts.arch}`;
          throw new Error(`Docker's repository ${repo.url} (${repo.suite}) gave apt nothing to install${attempt ? ` after ${attempt + 1} tries` : ''}:\n${why}`);
        }
        said.push(`tried again after: ${about[0]?.trim()}`);
        ctx.log(`apt-get update could not reach ${repo.url}; trying again in ${pause / 1000} s`);
        await retry.sleep(pause);
      }
    },
  });
}
