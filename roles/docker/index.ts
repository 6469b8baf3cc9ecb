// Docker Engine + Compose v2, daemon.json with log rotation, the login user in the docker group.
import { sh } from '../../src/remote/command.ts';
import { textRead } from '../../src/engine/read.ts';
import { defineTask, differs, inSync, withTask } from '../../src/engine/task.ts';
import { defineRole, type TaskContext } from '../../src/engine/types.ts';
import { packagesTask } from '../../src/ops/apt.ts';
import { composeVersionRead } from '../../src/ops/compose.ts';
import { DAEMON_SETTINGS_SCHEMA, daemonJsonTask, restartDockerHandler } from '../../src/ops/daemon-json.ts';
import { DOCKER_LIST_PATH, DOCKER_PACKAGE_CANDIDATES, dockerInstallPlan, type DockerRepoOptions, type DockerSource } from '../../src/ops/docker-install.ts';
import { dockerKeyTask, dockerRepoListsTask } from '../../src/ops/docker-repo.ts';
import { factsFileTask } from '../../src/ops/file.ts';
import { serviceTask, userInGroupTask } from '../../src/ops/system.ts';

interface DockerVars extends Record<string, unknown> {
  docker: { source: DockerSource; daemon: Record<string, unknown> } & DockerRepoOptions;
}

/** An http(s) URL, "{os}" allowed for the OS id; nothing a sources.list line would split. */
const REPO_URL = { type: 'string', pattern: '^https?://[^\\s\\[\\]#]+$' };

const cloudInit = defineTask({
  name: 'wait for cloud-init to finish (it holds apt on a fresh VM)',
  reads: { status: textRead(sh`command -v cloud-init >/dev/null || { echo absent; exit 0; }; cloud-init status 2>/dev/null | head -n1 || true`) },
  check: (_ctx, { status }) => {
    if (status === 'absent') return inSync('no cloud-init');
    if (/done|disabled|error/.test(status)) return inSync(status);
    return differs(`cloud-init is still running (${status})`);
  },
  apply: async (ctx) => {
    await ctx.run(sh`cloud-init status --wait >/dev/null || true`, { timeoutMs: 20 * 60_000 });
  },
});


export default defineRole<DockerVars>({
  name: 'docker',
  description: 'Docker Engine with the Compose v2 plugin',
  varsSchema: {
    docker: {
      type: 'object',
      additionalProperties: false,
      properties: {
        source: { enum: ['auto', 'official', 'distro'] },
        official_repo: REPO_URL,
        official_key_url: REPO_URL,
        daemon: { type: 'object', additionalProperties: false, properties: DAEMON_SETTINGS_SCHEMA },
      },
    },
  },
  tasks: ({ vars }) => {
    const plan = (ctx: TaskContext) => dockerInstallPlan(ctx.facts, vars.docker.source, vars.docker);
    const needsRepo = (ctx: TaskContext) => (plan(ctx).repo ? true : 'distro packages need no extra repository');
    // Per host (tasks() runs once per host): set when this run replaced the signing key.
    let keyReplaced = false;
    return [
      cloudInit,
      withTask(packagesTask('apt prerequisites for the Docker repository', ['ca-certificates', 'curl', 'gnupg']), { when: needsRepo }),
      dockerKeyTask((ctx) => plan(ctx).repo!, needsRepo, () => (keyReplaced = true)),
      withTask(
        factsFileTask(DOCKER_LIST_PATH, (facts) => {
          const repo = dockerInstallPlan(facts, vars.docker.source, vars.docker).repo!;
          return { path: repo.listPath, content: repo.listContent, mode: '0644', owner: 'root', group: 'root' };
        }, { name: "Docker's apt repository" }),
        { when: needsRepo },
      ),
      dockerRepoListsTask((ctx) => plan(ctx).repo!, needsRepo, () => keyReplaced),
      // daemon.json goes down before the engine is installed, so a fresh engine starts with it.
      daemonJsonTask(vars.docker.daemon, ['restart docker']),
      packagesTask('Docker Engine and Compose v2 packages', { candidates: DOCKER_PACKAGE_CANDIDATES, pick: (facts) => dockerInstallPlan(facts, vars.docker.source, vars.docker).packages }),
      serviceTask('docker'),
      userInGroupTask('docker'),
      defineTask({
        name: 'docker compose v2 answers',
        reads: { version: composeVersionRead },
        check: (ctx, { version }) => {
          if (/^v?2\./.test(version)) return inSync(`compose ${version}`);
          if (ctx.checkMode) return inSync('compose not installed yet (the package task installs it)');
          throw new Error(`docker compose v2 is not available: ${version}`);
        },
        apply: async () => {},
      }),
    ];
  },
  handlers: [restartDockerHandler],
});
