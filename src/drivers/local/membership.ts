// Membership changes on the local engine (`up --local`), static method: the engine's steps
// (src/engine/membership.ts) carried out on one Docker engine. A server the plan no longer has is
// found by its labels and, until its step, runs with each step's membership under its own name,
// published port, static IP or link alias. Data lives in named volumes, and Docker cannot rename a
// volume: "moved aside" is a copy into `<volume><suffix>` (src/rollout/aside.ts) made by a
// throwaway container of the ensemble's own image, then the old volume removed. The copy carries
// the ensemble's owner labels, so `down --purge-data` (and only it) deletes it, and a joining
// server never finds it under its own volume names.
import { OperationalError } from '../../common/problems.js';
import type { FormerServer } from '../../engine/driver.js';
import type { MembershipSupport } from '../../engine/membership.js';
import type { EnsemblePlan, ServerPlan } from '../../plan/types.js';
import { copyVolume, createVolume, inspectVolume, listContainers, removeVolumes } from '../../remote/commands/docker-local.js';
import { inspectContainers } from '../../remote/commands/docker.js';
import { runChecked, type HostSession } from '../../remote/session.js';
import { planForMembership } from '../../rollout/membership-plan.js';
import type { MembershipMember } from '../../rollout/membership.js';
import { desiredServers } from '../../rollout/server-specs.js';
import { LABEL_SERVER } from '../../rollout/spec.js';
import type { ConfServer } from '../../verify/four-letter-parse.js';
import { publishedReachAddress } from '../../render/text.js';
import type { SpecSecrets } from '../../rollout/server-specs.js';
import { localContainers, ownerLabels } from './desired.js';

/** `secrets`: a secured ensemble's files (src/drivers/local/secured.ts), which every step's servers mount as the planned ones do. */
export function localMembershipSupport(ensemble: EnsemblePlan, secrets?: SpecSecrets): MembershipSupport {
  return {
    desiredFor: (members, reported, former) => desiredServers(localStepPlan(ensemble, members, reported, former), { kind: 'local', ...(secrets ? { secrets } : {}) }),
    now: () => new Date(),
  };
}

/**
 * The plan of one step on the local engine: the planned servers as the plan has them, the former
 * ones where they run now (the port they publish, the address the ensemble knows them by), so a
 * restart with the step's membership changes nothing else about them. Pure.
 */
export function localStepPlan(ensemble: EnsemblePlan, members: readonly MembershipMember[], reported: readonly ConfServer[], former: readonly FormerServer[]): EnsemblePlan {
  const template = ensemble.servers[0];
  if (template === undefined) return planForMembership(ensemble, members, reported);
  const step = planForMembership(
    ensemble,
    members,
    reported,
    former.map((f) => ({ id: f.serverId, name: f.name, host: template.host })),
  );
  const planned = new Set(ensemble.servers.map((s) => s.id));
  return { ...step, servers: step.servers.map((s) => (planned.has(s.id) ? s : placedAsRunning(ensemble, s, template, reported, former))) };
}

/** A former server takes the template's settings, not its place on the engine. */
function placedAsRunning(e: EnsemblePlan, s: ServerPlan, template: ServerPlan, reported: readonly ConfServer[], former: readonly FormerServer[]): ServerPlan {
  const { publishedClientPort: _port, staticIp: _ip, linkAlias: _alias, ...rest } = s;
  const port = former.find((f) => f.serverId === s.id)?.member?.port;
  const address = reported.find((r) => r.id === s.id)?.address;
  if (e.network === 'static-ip' && address === undefined) throw new Error(`internal error: server.${s.id} of ensemble ${e.name} leaves but the running membership names no address for it`);
  return {
    ...rest,
    ...(port !== undefined ? { publishedClientPort: port } : {}),
    // static-ip: every server line, its own included, names the container's address
    ...(e.network === 'static-ip' ? { staticIp: address! } : {}),
    // the planner's alias rule ends in the server id (`zknode1`)
    ...(e.network === 'links' && template.linkAlias !== undefined ? { linkAlias: template.linkAlias.replace(/\d+$/, String(s.id)) } : {}),
  };
}

/** A former server with the named volumes its container mounts. */
export interface LocalFormer extends FormerServer {
  volumes: string[];
}

interface FormerInspect {
  Name: string;
  State: { Running: boolean };
  Config: { Labels: Record<string, string> | null };
  HostConfig?: { PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null };
  Mounts?: { Type: string; Name?: string; Destination?: string }[] | null;
}

/**
 * Containers of the ensemble (by label) whose server id the plan does not have, with the named
 * volumes mounted where the plan keeps data (not the image's anonymous ones). Pure: the inspect
 * JSON is given.
 */
export function formerFromInspect(inspect: readonly FormerInspect[], plannedIds: ReadonlySet<number>, ensemble: EnsemblePlan): LocalFormer[] {
  const client = ensemble.servers[0]?.ports.client;
  const address = publishedReachAddress(ensemble);
  const dataTargets = new Set(localContainers(ensemble)[0]?.spec.mounts.map((m) => m.target));
  return inspect.flatMap((c) => {
    const serverId = Number(c.Config.Labels?.[LABEL_SERVER]);
    if (!Number.isInteger(serverId) || serverId < 1 || plannedIds.has(serverId)) return [];
    const published = client !== undefined ? Number(c.HostConfig?.PortBindings?.[`${client}/tcp`]?.[0]?.HostPort) : NaN;
    const volumes = (c.Mounts ?? []).filter((m) => m.Type === 'volume' && m.Name && m.Destination !== undefined && dataTargets.has(m.Destination)).map((m) => m.Name!);
    return [
      {
        serverId,
        host: 'local',
        name: c.Name.replace(/^\//, ''),
        running: c.State.Running,
        volumes,
        ...(Number.isInteger(published) && published > 0 ? { member: { id: serverId, role: 'participant' as const, address, port: published } } : {}),
      },
    ];
  });
}

export async function findFormerServers(session: HostSession, ensemble: EnsemblePlan, plannedIds: ReadonlySet<number>): Promise<LocalFormer[]> {
  const names = (await runChecked(session, listContainers(ownerLabels(ensemble.name)))).stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  if (names.length === 0) return [];
  const r = await session.run(inspectContainers(names));
  // A container removed between the two commands is simply not there.
  if (r.code !== 0 && !/No such (container|object)/i.test(r.stderr)) throw new OperationalError(`local: docker container inspect failed: ${r.stderr.trim() || `exit code ${r.code}`}`);
  return formerFromInspect(r.stdout.trim().startsWith('[') ? (JSON.parse(r.stdout) as FormerInspect[]) : [], plannedIds, ensemble);
}

/**
 * Each existing volume copied to `<volume><suffix>` (owner labels kept), then removed; returns
 * the new names. A volume that does not exist has nothing to set aside.
 */
export async function moveVolumesAside(session: HostSession, ensemble: EnsemblePlan, volumes: readonly string[], suffix: string): Promise<string[]> {
  const moved: string[] = [];
  for (const v of volumes) {
    const seen = await session.run(inspectVolume(v));
    if (seen.code !== 0) {
      if (/no such volume|not found/i.test(seen.stderr)) continue;
      throw new OperationalError(`local: docker volume inspect ${v} failed: ${seen.stderr.trim() || `exit code ${seen.code}`}`);
    }
    const aside = `${v}${suffix}`;
    await runChecked(session, createVolume(aside, ownerLabels(ensemble.name)));
    await runChecked(session, copyVolume(ensemble.image, v, aside));
    await runChecked(session, removeVolumes([v]));
    moved.push(aside);
  }
  return moved;
}
