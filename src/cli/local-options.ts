// The flags \`up --local\` and \`down\` share; what they run is in local-plan.ts, imported when they run.
import type { Command } from 'commander';
import type { SingleHostNetwork } from '../inventory/types.js';

export interface LocalFlags {
  local?: boolean;
  network?: SingleHostNetwork;
  image?: string;
  ensemble?: string;
  json?: boolean;
}

export function addLocalOptions(cmd: Command): Command {
  return cmd
    .option('--local', 'use the Docker engine of this machine (DOCKER_HOST, else the default socket)')
    .option('-e, --ensemble <name>', 'only this ensemble of the inventory')
    .option('--json', 'print the result as JSON on standard output');
}
