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

/** Throws UsageError when the ensemble cannot be deployed with the target (or a --set key is unknown). */
export function checkTarget(target: TargetName, ensemble: EnsemblePlan, options: RenderOptions): void {
  // A Swarm stack carries them as external Docker secrets (names only).
  if (ensemble.security && target !== 'swarm') {
    throw new UsageError(
      `ensemble ${ensemble.name} has a security block: its key material and secrets reach the servers only through zkplan apply on the host target (SFTP into a root-only directory, mounted read-only) or as Docker secrets of a Swarm stack; target ${target} cannot carry them`,
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
