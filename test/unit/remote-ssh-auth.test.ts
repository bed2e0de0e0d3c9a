import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import { planAuth } from '../../src/remote/ssh-auth.js';
import type { SshTarget } from '../../src/remote/ssh-target.js';

const dir = mkdtempSync(path.join(tmpdir(), 'zkplan-auth-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function key(name: string, passphrase?: string): string {
  let pair = ssh2.utils.generateKeyPairSync('ed25519', passphrase ? { passphrase, cipher: 'aes256-ctr', rounds: 4 } : {});
  // ssh2 1.17 makes about one ed25519 key in 250 that its own parser calls "Malformed OpenSSH
  // private key": such a key made this test fail now and then, whatever planAuth does
  while (!passphrase && ssh2.utils.parseKey(pair.private) instanceof Error) pair = ssh2.utils.generateKeyPairSync('ed25519');
  const file = path.join(dir, name);
  writeFileSync(file, pair.private);
  return file;
}

function target(identityFiles: string[], agentSocket?: string): SshTarget {
  const t: SshTarget = { hostName: 'zk1', address: '10.0.0.1', port: 22, user: 'root', identityFiles, knownHostsFiles: [] };
  if (agentSocket !== undefined) t.agentSocket = agentSocket;
  return t;
}

describe('planAuth', () => {
  const plain = key('plain');
  const locked = key('locked', 'secret');

  it('offers the agent first, then each readable key', () => {
    const plan = planAuth(target([plain], '/run/agent.sock'));
    assert.deepEqual(plan.methods.map((m) => m.type), ['agent', 'publickey']);
    assert.equal(plan.fatal, undefined);
  });

  it('explains an encrypted key when there is no agent', () => {
    const plan = planAuth(target([locked]));
    assert.match(plan.fatal ?? '', /identity file .*locked is encrypted and no ssh-agent is available .*ssh-add/);
  });

  it('leaves an encrypted key to the agent when there is one', () => {
    const plan = planAuth(target([locked], '/run/agent.sock'));
    assert.deepEqual(plan.methods.map((m) => m.type), ['agent']);
    assert.deepEqual(plan.notes, []);
  });

  it('keeps going past missing or broken files, and says so', () => {
    const junk = path.join(dir, 'junk');
    writeFileSync(junk, 'not a key');
    const plan = planAuth(target([path.join(dir, 'missing'), junk, plain]));
    assert.equal(plan.methods.length, 1);
    assert.equal(plan.notes.length, 2);
    assert.match(plan.notes[0]!, /missing: not found/);
    const none = planAuth(target([]));
    assert.match(none.fatal ?? '', /no ssh-agent .* and no usable identity file/);
  });
});
