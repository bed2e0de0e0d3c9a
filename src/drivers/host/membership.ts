// What a membership change needs of the host target: each step's servers as the host driver
// runs them (the plan's specs, with the step's membership in their server lines).
import type { MembershipSupport } from '../../engine/membership.js';
import type { EnsemblePlan } from '../../plan/types.js';
import type { Sessions } from '../sessions.js';
import { planForMembership } from '../../rollout/membership-plan.js';
import { desiredServers } from '../../rollout/server-specs.js';
import { addressingFor, serverLine } from '../../render/server-line.js';
import type { SuperCredential } from '../../security/super-digest.js';
import type { EnsembleMaterial } from '../../security/material.js';
import { hostSpecSecrets } from './spec-secrets.js';

/**
 * `superUser`: a reconfig ensemble's super credential (src/security/super-digest.ts); the method is
 * then dynamic reconfiguration. `material`: a secured ensemble's key material, the HostDriver's
 * (each step's servers mount the same secrets as the planned ones; a joiner's are pushed before
 * it starts). `refusal`: why this apply must not change the membership.
 */
export function hostMembershipSupport(ensemble: EnsemblePlan, sessions: Sessions, superUser?: SuperCredential, material?: EnsembleMaterial, refusal?: string): MembershipSupport {
  const secrets = material && hostSpecSecrets(ensemble.name, (h) => sessions.get(h)!.host.stateDir, material, ensemble.security);
  return {
    refusal: (steps) => refusal ?? (superUser && steps.some((s) => s.kind === 'join') && ensemble.security?.clientTls === 'only' ? RECONFIG_JOIN_TLS_ONLY : undefined),
    ...(superUser ? { reconfig: { superPassword: superUser.password, serverLine: (id) => plannedServerLine(ensemble, id) } } : {}),
    desiredFor: (members, reported, former) => {
      const places = former.map((f) => {
        const h = sessions.get(f.host)!.host;
        return { id: f.serverId, name: f.name, host: { name: h.name, address: h.address, labels: {} } };
      });
      return desiredServers(planForMembership(ensemble, members, reported, places), { kind: 'host', ...(secrets ? { secrets } : {}), ...(superUser ? { superDigest: superUser.digest } : {}) });
    },
    now: () => new Date(),
  };
}

/**
 * ZooKeeper takes a `reconfig -add` only with all three ports in the joiner's line (its leader
 * answers BadArguments otherwise, seen in the lab), and a TLS-only client port is not one a
 * server line can name: it would open a plain-text port.
 */
const RECONFIG_JOIN_TLS_ONLY =
  'a server joins by dynamic reconfiguration, and ZooKeeper takes a reconfig -add only with a plain client port in the joining server\'s line, which client_tls: only has none of; grow with client_tls: both (then apply only), or without reconfig: true';

/** A planned server's own line, as its peers' configuration names it. */
function plannedServerLine(ensemble: EnsemblePlan, id: number): string {
  const entry = ensemble.servers.find((s) => s.id === id)?.config.servers.find((e) => e.id === id);
  if (entry === undefined) throw new Error(`internal error: server.${id} of ensemble ${ensemble.name} is not planned`);
  return serverLine(entry, addressingFor(ensemble, 'resolved', {}));
}
