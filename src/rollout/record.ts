// zkplan's record of an ensemble on one host, pushed to `<state_dir>/<ensemble>/`: one env file
// per server and a run.sh that re-creates the servers' containers with the very command apply
// runs (labels and config hash included), so a server restarted by hand is one the next apply
// leaves alone.
import { shellCommand, shellQuote } from '../common/shell.js';
import type { DesiredServer } from '../engine/driver.js';
import { oneLine } from '../render/text.js';
import { recreateContainer } from '../remote/commands/docker.js';
import { envFileContent, envFilePath, ensembleStateDir } from './desired.js';

export interface RecordFile {
  path: string;
  content: string;
  mode: number;
}

/** One command line (`a && b && c`) that re-creates the server's container from its env file. */
export function recreateLine(server: DesiredServer, envFile: string): string {
  return recreateContainer(server.spec, { envFile }).map(shellCommand).join(' && ');
}

/**
 * The record of `servers` (one host's servers of the ensemble) under the host's state root.
 * `sh run.sh` re-creates every one of them, `sh run.sh <name>` that server only.
 */
export function hostRecord(ensemble: string, host: string, stateRoot: string, servers: readonly DesiredServer[]): RecordFile[] {
  const dir = ensembleStateDir(stateRoot, ensemble);
  const sorted = [...servers].sort((a, b) => a.serverId - b.serverId);
  const names = sorted.map((s) => s.name);
  const comment = (s: string) => `# ${oneLine(s)}`;
  const script = [
    '#!/bin/sh',
    comment(`zkplan's record of ensemble ${ensemble} on host ${host}: re-creates its containers exactly as zkplan apply does`),
    comment('(same docker run, labels and config hash), so the next apply leaves them unchanged. Data stays in the host directories.'),
    comment(`Usage: sh run.sh [server]   no argument: ${names.join(', ')}; a server name: that server only.`),
    'set -eu',
    'only=${1:-}',
    `case $only in ''|${names.map(shellQuote).join('|')}) ;; *) echo 'run.sh: no server' "$only" ${shellQuote(`of ensemble ${ensemble} on ${host} (${names.join(', ')})`)} >&2; exit 2 ;; esac`,
    ...sorted.flatMap((s) => [
      '',
      comment(`server.${s.serverId}: ${s.name}`),
      `if [ -z "$only" ] || [ "$only" = ${shellQuote(s.name)} ]; then`,
      `  ${recreateLine(s, envFilePath(stateRoot, ensemble, s.name))}`,
      'fi',
    ]),
  ];
  return [
    ...sorted.map((s) => ({ path: envFilePath(stateRoot, ensemble, s.name), content: envFileContent(s.spec.env), mode: 0o600 })),
    { path: `${dir}/run.sh`, content: `${script.join('\n')}\n`, mode: 0o755 },
  ];
}
