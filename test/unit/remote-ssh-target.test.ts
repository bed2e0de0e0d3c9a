import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Host, SshSettings } from '../../src/inventory/types.js';
import { lookupSshConfig } from '../../src/remote/ssh-config.js';
import {
  parseJumpSpec,
  resolveSshTarget,
  resolveSshTargetFrom,
  type ResolveContext,
} from '../../src/remote/ssh-target.js';

function host(name: string, address: string, ssh: SshSettings = {}): Host {
  return { name, address, labels: {}, ssh, stateDir: '/var/lib/zkplan', index: 0 };
}

function ctx(configText: string, extra: Partial<ResolveContext> = {}): ResolveContext {
  return {
    configText,
    env: { SSH_AUTH_SOCK: '/tmp/agent.sock' },
    homeDir: '/home/ann',
    localUser: 'ann',
    fileExists: (f) => f === '/home/ann/.ssh/id_ed25519' || f === '/home/ann/.ssh/id_rsa',
    ...extra,
  };
}

describe('resolveSshTargetFrom', () => {
  it('falls back to OpenSSH defaults', () => {
    assert.deepEqual(resolveSshTargetFrom(host('zk1', '10.0.0.1'), ctx('')), {
      hostName: 'zk1',
      address: '10.0.0.1',
      port: 22,
      user: 'ann',
      identityFiles: ['/home/ann/.ssh/id_ed25519', '/home/ann/.ssh/id_rsa'],
      agentSocket: '/tmp/agent.sock',
      knownHostsFiles: ['/home/ann/.ssh/known_hosts'],
    });
  });

  it('has no agent without SSH_AUTH_SOCK', () => {
    const t = resolveSshTargetFrom(host('zk1', '10.0.0.1'), ctx('', { env: {} }));
    assert.equal(t.agentSocket, undefined);
    assert.equal('agentSocket' in t, false);
  });

  const config = `
# global defaults come first in this file
ServerAliveInterval 30

Host zk* !zk9
  User deploy
  Port 2200
  IdentityFile ~/.ssh/zk_key
  IdentityFile %d/.ssh/second_%r
  UserKnownHostsFile ~/.ssh/zk_known_hosts /etc/zk_known_hosts

Host 10.0.0.*
  HostName 192.0.2.%h
  User byaddress
  ProxyJump bastion

Host bastion
  HostName 203.0.113.5
  User jumper
  Port 2022
  IdentityAgent none

Host *
  User fallback
  Port 2999
`;

  it('applies Host sections matched by name, first value winning', () => {
    const t = resolveSshTargetFrom(host('zk1', '198.51.100.1'), ctx(config));
    assert.equal(t.user, 'deploy');
    assert.equal(t.port, 2200);
    assert.equal(t.address, '198.51.100.1');
    assert.deepEqual(t.identityFiles, ['/home/ann/.ssh/zk_key', '/home/ann/.ssh/second_deploy']);
    assert.deepEqual(t.knownHostsFiles, ['/home/ann/.ssh/zk_known_hosts', '/etc/zk_known_hosts']);
    assert.equal(t.jump, undefined);
  });

  it('matches Host patterns against the address too, honouring HostName and ProxyJump', () => {
    const t = resolveSshTargetFrom(host('node-a', '10.0.0.7'), ctx(config));
    assert.equal(t.address, '192.0.2.10.0.0.7'); // %h in HostName is the inventory address
    assert.equal(t.user, 'byaddress');
    assert.equal(t.port, 2999);
    assert.ok(t.jump);
    assert.deepEqual(t.jump, {
      hostName: 'bastion',
      address: '203.0.113.5',
      port: 2022,
      user: 'jumper',
      identityFiles: ['/home/ann/.ssh/id_ed25519', '/home/ann/.ssh/id_rsa'],
      knownHostsFiles: ['/home/ann/.ssh/known_hosts'],
    });
  });

  it('lets a negated pattern exclude a host', () => {
    const t = resolveSshTargetFrom(host('zk9', '198.51.100.9'), ctx(config));
    assert.equal(t.user, 'fallback');
    assert.equal(t.port, 2999);
  });

  it('lets inventory values win over the config', () => {
    const t = resolveSshTargetFrom(
      host('zk1', '10.0.0.1', { user: 'root', port: 22, identity_file: '~/keys/zk', known_hosts: '~/zk/known_hosts', jump: 'ops@gate:2222' }),
      ctx(config),
    );
    assert.equal(t.user, 'root');
    assert.equal(t.port, 22);
    assert.deepEqual(t.identityFiles, ['/home/ann/keys/zk']);
    assert.deepEqual(t.knownHostsFiles, ['/home/ann/zk/known_hosts']);
    // the config's HostName still applies: it is not an inventory setting
    assert.equal(t.address, '192.0.2.10.0.0.1');
    assert.equal(t.jump?.hostName, 'gate');
    assert.equal(t.jump?.user, 'ops');
    assert.equal(t.jump?.port, 2222);
    // the jump host shares the deploy's key and known_hosts
    assert.deepEqual(t.jump?.identityFiles, ['/home/ann/keys/zk']);
    assert.deepEqual(t.jump?.knownHostsFiles, ['/home/ann/zk/known_hosts']);
  });

  it('resolves a jump host through the config and chains multiple hops', () => {
    const t = resolveSshTargetFrom(host('zk1', '10.9.0.1', { jump: 'outer,bastion' }), ctx(config));
    assert.equal(t.jump?.hostName, 'bastion');
    assert.equal(t.jump?.address, '203.0.113.5');
    assert.equal(t.jump?.agentSocket, undefined, 'IdentityAgent none');
    assert.equal(t.jump?.jump?.hostName, 'outer');
    assert.equal(t.jump?.jump?.jump, undefined);
  });

  it('reads ProxyJump none, UserKnownHostsFile none and IdentityAgent from env', () => {
    const t = resolveSshTargetFrom(
      host('x', 'x'),
      ctx('Host x\n  ProxyJump none\n  UserKnownHostsFile none\n  IdentityAgent $OTHER_SOCK\n', { env: { OTHER_SOCK: '/o.sock' } }),
    );
    assert.equal(t.jump, undefined);
    assert.deepEqual(t.knownHostsFiles, []);
    assert.equal(t.agentSocket, '/o.sock');
  });

  it('refuses a bad port and a jump loop', () => {
    assert.throws(() => resolveSshTargetFrom(host('x', 'x'), ctx('Host x\n Port 99999\n')), /x: invalid ssh port '99999'/);
    assert.throws(() => resolveSshTargetFrom(host('a', 'a'), ctx('Host a\n ProxyJump b\nHost b\n ProxyJump a\n')), /nest more than/);
  });
});

describe('ssh config evaluation', () => {
  it('evaluates Match blocks without running anything', () => {
    const text = 'Match exec "touch /tmp/zkplan-should-not-exist"\n  User bad\nMatch originalhost zk* user deploy\n  Port 1\nMatch all\n  User everyone\n';
    const v = lookupSshConfig(text, { candidates: ['zk1'], user: 'deploy', localUser: 'ann' });
    assert.deepEqual(v.get('port'), ['1']);
    assert.deepEqual(v.get('user'), ['everyone']);
    assert.equal(existsSync('/tmp/zkplan-should-not-exist'), false);
  });

  it('matches case-insensitively and keeps quoted values whole', () => {
    const v = lookupSshConfig('host ZK1\n  identityfile "~/my keys/a"\n', { candidates: ['zk1'], localUser: 'ann' });
    assert.deepEqual(v.get('identityfile'), ['~/my keys/a']);
  });
});

describe('parseJumpSpec', () => {
  it('accepts the ProxyJump forms', () => {
    assert.deepEqual(parseJumpSpec('bastion'), { host: 'bastion' });
    assert.deepEqual(parseJumpSpec('ops@bastion:2222'), { user: 'ops', host: 'bastion', port: 2222 });
    assert.deepEqual(parseJumpSpec('[2001:db8::1]:22'), { host: '2001:db8::1', port: 22 });
    assert.deepEqual(parseJumpSpec('ssh://ops@gate:2200'), { user: 'ops', host: 'gate', port: 2200 });
    assert.throws(() => parseJumpSpec('@gate'), /invalid jump host/);
    assert.throws(() => parseJumpSpec('gate:0'), /invalid ssh port/);
  });
});

describe('resolveSshTarget (file edge)', () => {
  const home = mkdtempSync(path.join(tmpdir(), 'zkplan-home-'));
  after(() => rmSync(home, { recursive: true, force: true }));

  it('reads ~/.ssh/config and finds default keys that exist', () => {
    mkdirSync(path.join(home, '.ssh'));
    writeFileSync(path.join(home, '.ssh', 'config'), 'Host zk1\n  User cfg\n');
    writeFileSync(path.join(home, '.ssh', 'id_ecdsa'), 'x');
    const t = resolveSshTarget(host('zk1', '127.0.0.1'), { env: { HOME: home, USER: 'me' } });
    assert.equal(t.user, 'cfg');
    assert.deepEqual(t.identityFiles, [path.join(home, '.ssh', 'id_ecdsa')]);
    assert.deepEqual(t.knownHostsFiles, [path.join(home, '.ssh', 'known_hosts')]);
    assert.equal(resolveSshTarget(host('zk2', '127.0.0.1'), { env: { HOME: home, USER: 'me' } }).user, 'me');
  });

  it('requires an explicitly named config to exist', () => {
    assert.throws(() => resolveSshTarget(host('zk1', 'a'), { sshConfigPath: path.join(home, 'nope'), env: { HOME: home } }), /cannot read ssh config/);
  });
});
