// Failures the SSH executor detects before opening any socket; the rest is in test/lab/ssh.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { OperationalError } from '../../src/common/problems.js';
import type { Host, SshSettings } from '../../src/inventory/types.js';
import { SshExecutor } from '../../src/remote/executor.js';

const home = mkdtempSync(path.join(tmpdir(), 'zkplan-exec-'));
after(() => rmSync(home, { recursive: true, force: true }));

function host(ssh: SshSettings): Host {
  return { name: 'zookeeper2', address: '192.0.2.12', labels: {}, ssh, stateDir: '/var/lib/zkplan', index: 1 };
}

describe('SshExecutor (no network)', () => {
  const ex = new SshExecutor({ env: { HOME: home, USER: 'ann' } });
  after(() => ex.closeAll());

  it('names the host when its ssh settings cannot be resolved', async () => {
    await assert.rejects(ex.session(host({ jump: 'ops@' })), (e: unknown) => {
      return e instanceof OperationalError && e.message === `zookeeper2: invalid jump host 'ops@': expected [user@]host[:port]`;
    });
  });

  it('refuses to connect without any credential, saying why', async () => {
    await assert.rejects(ex.session(host({ user: 'root' })), (e: unknown) => {
      assert.ok(e instanceof OperationalError);
      assert.match(e.message, /^zookeeper2 \(192\.0\.2\.12:22\): no ssh-agent \(SSH_AUTH_SOCK unset\) and no usable identity file/);
      return true;
    });
  });

  it('does not cache a failed connection attempt', async () => {
    const h = host({ identity_file: path.join(home, 'missing') });
    const first = ex.session(h);
    await assert.rejects(first, /identity file .*missing: not found/);
    assert.notEqual(ex.session(h), first);
    await assert.rejects(ex.session(h));
  });
});
