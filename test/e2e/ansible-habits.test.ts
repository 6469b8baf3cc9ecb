// Issues 10/11 end to end, on one fresh VM (check mode only, a few seconds): an INI inventory as
// an Ansible user writes it (quoted port, ansible_become=yes, keys provision ignores or does
// itself), -e over it (a wrong ansible_user corrected, a vars file), --start-at-task, and the
// listing flags without a connection.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hostReport, ROOT, runCli, startVm, type Vm } from './vm.ts';

const NAME = 'cli-habits-vm1';

describe('Ansible habits on a fresh VM', { timeout: 5 * 60_000 }, () => {
  let vm: Vm;
  let ini: string;
  before(() => {
    vm = startVm(NAME);
    // Beside the VM's .env; ansible_user is wrong on purpose: -e corrects it.
    ini = join(vm.dir, 'hosts.ini');
    writeFileSync(
      ini,
      [
        '[docker_hosts]',
        `${NAME} ansible_host=127.0.0.1 ansible_port="${vm.port}" ansible_user=nobody ansible_ssh_private_key_file=${vm.key} ansible_become=yes host_key_checking=off ansible_python_interpreter=/usr/bin/python3`,
        '',
        '[all:vars]',
        'ansible_ssh_pipelining=True',
        'ansible_become_user=root',
        'ansible_become_method=sudo',
        'ansible_connection=ssh',
        '',
      ].join('\n'),
    );
  });
  after(() => vm?.stop());

  it('check --start-at-task with -e: only the tasks from the match on, as root, ignored keys noted once', async () => {
    const r = await runCli(['check', '-p', 'playbooks/docker-host.yml', '-e', 'ansible_user=deploy', '-e', `@${join(ROOT, 'test/vm/vars.yml')}`, '--start-at-task', 'networks : *'], ini);
    // Docker is not installed yet, so the network tasks would change: exit 3.
    assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
    const roles = new Set(hostReport(r, NAME).tasks.map((t) => t.role));
    assert.deepEqual([...roles], ['networks']);
    const notes = r.stderr.split('\n').filter((l) => l.startsWith('provision: note: '));
    assert.deepEqual(notes.map((l) => l.split(' ')[2]).sort(), ['ansible_python_interpreter', 'ansible_ssh_pipelining']);
    // The audit trail is root-only: it was written, so "ansible_become=yes" became root.
    const trail = await vm.sh('sudo tail -n 2 /var/log/provision/runs.jsonl');
    assert.match(trail.stdout, /--start-at-task/);
    assert.match(trail.stdout, /"user"/);
  });

  it('--list-hosts and --list-tasks print the plan and contact nothing', async () => {
    const hosts = await runCli(['apply', '-p', 'playbooks/docker-host.yml', '--list-hosts'], ini);
    assert.equal(hosts.code, 0, hosts.stderr);
    assert.match(hosts.stdout, new RegExp(`hosts \\(1\\):\\n {6}${NAME}`));
    const before = (await vm.sh('sudo cat /var/log/provision/runs.jsonl | wc -l')).stdout.trim();
    const tasks = await runCli(['apply', '-p', 'playbooks/docker-host.yml', '--list-tasks', '--tags', 'networks', '-e', 'ansible_user=deploy'], ini);
    assert.equal(tasks.code, 0, tasks.stderr);
    assert.match(tasks.stdout, / {6}networks : .*\tTAGS: \[networks\]/);
    assert.doesNotMatch(tasks.stdout, /docker : /);
    assert.equal((await vm.sh('sudo cat /var/log/provision/runs.jsonl | wc -l')).stdout.trim(), before, 'no run was recorded on the host');
  });
});
