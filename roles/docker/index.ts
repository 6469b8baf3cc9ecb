// Docker Engine + Compose v2, daemon.json with log rotation, the login user in the docker group.
import { defineRole, type Task, type TaskContext } from '../../src/engine/types.ts';
import { sh } from '../../src/remote/command.ts';
import { packagesTask } from '../../src/ops/apt.ts';
import { daemonJson, dockerInstallPlan, type DockerSource } from '../../src/ops/docker-install.ts';
import { fileTask } from '../../src/ops/file.ts';
import { serviceTask, userInGroupTask } from '../../src/ops/system.ts';

interface DockerVars extends Record<string, unknown> {
  docker: { source: DockerSource; daemon: Record<string, unknown> };
}

const COMPOSE_VERSION = sh`docker compose version --short`;
const CLOUD_INIT_STATUS = sh`command -v cloud-init >/dev/null || { echo absent; exit 0; }; cloud-init status 2>/dev/null | head -n1 || true`;

const cloudInit: Task = {
  name: 'wait for cloud-init to finish (it holds apt on a fresh VM)',
  prefetch: [CLOUD_INIT_STATUS],
  check: async (ctx) => {
    const r = await ctx.read(CLOUD_INIT_STATUS);
    const out = r.stdout.trim();
    if (out === 'absent') return { changed: false, reason: 'no cloud-init' };
    if (/done|disabled|error/.test(out)) return { changed: false, reason: out };
    return { changed: true, reason: `cloud-init is still running (${out})` };
  },
  apply: async (ctx) => {
    await ctx.host.run(sh`cloud-init status --wait >/dev/null || true`, { timeoutMs: 20 * 60_000 });
  },
};

export default defineRole<DockerVars>({
  name: 'docker',
  description: 'Docker Engine with the Compose v2 plugin',
  varsSchema: {
    docker: {
      type: 'object',
      additionalProperties: false,
      properties: {
        source: { enum: ['auto', 'official', 'distro'] },
        daemon: { type: 'object' },
      },
    },
  },
  tasks: (vars) => {
    const plan = (ctx: TaskContext) => dockerInstallPlan(ctx.facts, vars.docker.source);
    const needsRepo = (ctx: TaskContext) => (plan(ctx).repo ? true : 'distro packages need no extra repository');
    return [
      cloudInit,
      { ...packagesTask('apt prerequisites for the Docker repository', ['ca-certificates', 'curl', 'gnupg']), when: needsRepo },
      {
        name: "Docker's apt signing key",
        when: needsRepo,
        check: async (ctx) => {
          const key = plan(ctx).repo!.keyPath;
          return (await ctx.probe`test -s ${key}`).ok ? { changed: false, reason: `${key} present` } : { changed: true, reason: `${key} missing` };
        },
        apply: async (ctx) => {
          const repo = plan(ctx).repo!;
          await ctx.$`install -d -m 0755 /etc/apt/keyrings
tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
curl -fsSL --retry 3 ${repo.keyUrl} -o "$tmp"
install -m 0644 "$tmp" ${repo.keyPath}`;
        },
      },
      {
        ...fileTask((ctx) => {
          const repo = plan(ctx).repo!;
          return { path: repo.listPath, content: repo.listContent, mode: '0644', owner: 'root', group: 'root' };
        }, { name: "Docker's apt repository" }),
        when: needsRepo,
      },
      // daemon.json goes down before the engine is installed, so a fresh engine starts with it.
      fileTask({ path: '/etc/docker/daemon.json', content: daemonJson(vars.docker.daemon), mode: '0644', owner: 'root', group: 'root' }, {
        name: '/etc/docker/daemon.json (json-file log rotation)',
        notify: ['restart docker'],
      }),
      packagesTask('Docker Engine and Compose v2 packages', (facts) => dockerInstallPlan(facts, vars.docker.source).packages),
      serviceTask('docker'),
      userInGroupTask('docker', (f) => f.loginUser),
      {
        name: 'docker compose v2 answers',
        prefetch: [COMPOSE_VERSION],
        check: async (ctx) => {
          const r = await ctx.read(COMPOSE_VERSION).catch(() => ({ ok: false, stdout: '', stderr: 'docker compose did not answer' }));
          if (r.ok && /^v?2\./.test(r.stdout.trim())) return { changed: false, reason: `compose ${r.stdout.trim()}` };
          if (ctx.checkMode) return { changed: false, reason: 'compose not installed yet (the package task installs it)' };
          throw new Error(`docker compose v2 is not available: ${r.stderr.trim() || r.stdout.trim()}`);
        },
        apply: async () => {},
      },
    ];
  },
  handlers: [
    {
      name: 'restart docker',
      run: async (ctx) => {
        await ctx.$`systemctl restart docker`;
        await ctx.$`for i in $(seq 1 30); do docker info >/dev/null 2>&1 && exit 0; sleep 1; done; echo 'docker did not come back' >&2; exit 1`;
        return 'restarted docker: daemon.json changed';
      },
    },
  ],
});
