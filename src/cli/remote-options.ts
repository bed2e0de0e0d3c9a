// Flags shared by the commands that reach hosts, and the plumbing they share. Registering the
// flags loads nothing heavy: the SSH executor (ssh2) is imported when a command runs.
import type { Command } from 'commander';
import { UsageError } from '../common/problems.js';
import type { EnsemblePlan, Plan } from '../plan/types.js';
import type { SshExecutor } from '../remote/executor.js';
import type { Io } from './io.js';

export interface RemoteFlags {
  ensemble?: string;
  acceptNewHostKeys?: boolean;
  concurrency: string;
  timeout: string;
  json?: boolean;
  sshConfig?: string;
  target?: string;
}

export const TARGET_OPTION = ['--target <target>', 'host (containers over SSH, the default) or swarm (a Swarm-mode stack through the manager)', 'host'] as const;

/** Throws a usage error for anything but host and swarm; true for swarm. */
export function isSwarmTarget(target: string | undefined): boolean {
  if (target === undefined || target === 'host') return false;
  if (target === 'swarm') return true;
  throw new UsageError(`--target expects host or swarm, got "${target}"`);
}

export function addRemoteOptions(cmd: Command): Command {
  return cmd
    .option('-e, --ensemble <name>', 'only this ensemble')
    .option('--accept-new-host-keys', 'trust and record host keys not yet in known_hosts (a changed key is always refused)')
    .option('--concurrency <n>', 'hosts handled at once', '16')
    .option('--timeout <seconds>', 'how long to wait for the ensemble to be proven', '120')
    .option('--ssh-config <file>', 'OpenSSH client config to honour (default ~/.ssh/config)')
    .option('--json', 'print the result as JSON on standard output');
}

export function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} expects a positive integer, got "${value}"`);
  return n;
}

/** The ensemble named by --ensemble, or all; with `networks`, refuses one that `command` cannot deploy. */
export function selectEnsembles(plan: Plan, name: string | undefined, networks?: readonly string[], command?: string): EnsemblePlan[] {
  const chosen = name === undefined ? plan.ensembles : plan.ensembles.filter((e) => e.name === name);
  if (chosen.length === 0) throw new UsageError(`no ensemble "${name}" in the inventory; it has ${plan.ensembles.map((e) => e.name).join(', ')}`);
  for (const e of chosen) {
    if (networks && !networks.includes(e.network)) {
      throw new UsageError(`${command} deploys ensembles with network: ${networks.join(' | ')}; ensemble "${e.name}" has network: ${e.network} (use zkplan render for it)`);
    }
  }
  return chosen;
}

export async function executorFor(flags: RemoteFlags, io: Io): Promise<SshExecutor> {
  const { SshExecutor } = await import('../remote/executor.js');
  return new SshExecutor({
    acceptNewHostKeys: Boolean(flags.acceptNewHostKeys),
    ...(flags.sshConfig ? { sshConfigPath: flags.sshConfig } : {}),
    env: io.env,
  });
}
