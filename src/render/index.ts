// Public API of the renderers: pick a target, check the ensemble can use it, render files.
import type { EnsemblePlan } from '../plan/types.js';
import { UsageError } from '../common/problems.js';
import { checkCompatibility, checkOverrides } from './check.js';
import { aliyunTarget } from './targets/aliyun.js';
import { composeBridgeTarget } from './targets/compose-bridge.js';
import { composeLinksTarget } from './targets/compose-links.js';
import { composeStaticIpTarget } from './targets/compose-static-ip.js';
import { runScriptsTarget } from './targets/run-scripts.js';
import { swarmTarget } from './targets/swarm.js';
import type { Target } from './targets/types.js';
import { TARGET_NAMES, type RenderedFile, type RenderOptions, type TargetName, type Templates } from './types.js';

export type { Addressing, HostAddressing, RenderedFile, RenderOptions, TargetName, Templates } from './types.js';
export type { Target } from './targets/types.js';
export { compileTemplates } from './handlebars.js';
export { serverLine, formatAddress } from './server-line.js';
export { imageProfile } from './profiles/index.js';

const BY_NAME: Readonly<Record<TargetName, Target>> = {
  aliyun: aliyunTarget,
  swarm: swarmTarget,
  'compose-bridge': composeBridgeTarget,
  'compose-links': composeLinksTarget,
  'compose-static-ip': composeStaticIpTarget,
  'run-scripts': runScriptsTarget,
};

/** Every target, in the order `render --help` lists them. */
export const TARGETS: readonly Target[] = TARGET_NAMES.map((n) => BY_NAME[n]);

export function isTargetName(name: string): name is TargetName {
  return (TARGET_NAMES as readonly string[]).includes(name);
}

export function targetByName(name: string): Target {
  if (!isTargetName(name)) throw new UsageError(`unknown target ${name}; targets: ${TARGET_NAMES.join(', ')}`);
  return BY_NAME[name];
}

/** Targets whose files mount a secured ensemble's key material and secrets from a `secrets/` directory beside them (render -o DIR/ writes it). */
export const SECRETS_DIR_TARGETS: readonly TargetName[] = ['compose-bridge', 'compose-links', 'compose-static-ip'];

/** Those, and the Swarm stack, which names them as external Docker secrets (apply --target swarm makes them). */
export const SECRETS_TARGETS: readonly TargetName[] = [...SECRETS_DIR_TARGETS, 'swarm'];

export function carriesSecrets(target: TargetName): boolean {
  return SECRETS_TARGETS.includes(target);
}

export function mountsSecretsDir(target: TargetName): boolean {
  return SECRETS_DIR_TARGETS.includes(target);
}

/** Why the other targets cannot carry the key material and secrets of a secured ensemble. */
const SECRETS_REFUSAL: Readonly<Record<TargetName, string>> = {
  aliyun:
    'the classic-Swarm scheduler places each server on a node it picks, where no file zkplan writes beside the template exists; ' +
    'a secured ensemble on such hosts is deployed by zkplan apply, which pushes each server its own files',
  swarm: '',
  'run-scripts':
    'each script runs on its own host, and its secrets would have to be copied there by hand; zkplan apply pushes them by SFTP into a root-only directory, mounted read-only',
  'compose-bridge': '',
  'compose-links': '',
  'compose-static-ip': '',
};

/** Throws UsageError when the ensemble cannot be deployed with the target (or a --set key is unknown). */
export function checkTarget(target: TargetName, ensemble: EnsemblePlan, options: RenderOptions): void {
  if (ensemble.security && !carriesSecrets(target)) {
    throw new UsageError(
      `ensemble ${ensemble.name} has a security block: its key material and secrets would not reach the servers: target ${target} cannot carry them (${SECRETS_REFUSAL[target]}); ` +
        `a secured ensemble renders for ${SECRETS_DIR_TARGETS.join(', ')} (render -o DIR/ writes its secrets beside the compose file) and swarm (external Docker secrets), or is deployed by zkplan apply`,
    );
  }
  checkCompatibility(BY_NAME[target], ensemble);
  checkOverrides(ensemble, options.set);
}

/** The ensemble's deployment files for a target. Pure: same plan and options, same bytes. */
export function renderTarget(
  target: TargetName,
  ensemble: EnsemblePlan,
  options: RenderOptions,
  templates: Templates,
): RenderedFile[] {
  checkTarget(target, ensemble, options);
  return BY_NAME[target].render(ensemble, options, templates);
}

/** Targets an ensemble can use, for messages and `plan` output. */
export function targetsFor(ensemble: EnsemblePlan): TargetName[] {
  return TARGETS.filter((t) => t.networks.includes(ensemble.network)).map((t) => t.name);
}
