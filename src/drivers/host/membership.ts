// What a membership change needs of the host target: each step's servers as the host driver
// runs them (the plan's specs, with the step's membership in their server lines).
import type { MembershipSupport } from '../../engine/membership.js';
import type { EnsemblePlan } from '../../plan/types.js';
import type { Sessions } from '../sessions.js';
import { planForMembership } from '../../rollout/membership-plan.js';
import { desiredServers } from '../../rollout/server-specs.js';

export function hostMembershipSupport(ensemble: EnsemblePlan, sessions: Sessions): MembershipSupport {
  return {
    desiredFor: (members, reported, former) => {
      const places = former.map((f) => {
        const h = sessions.get(f.host)!.host;
        return { id: f.serverId, name: f.name, host: { name: h.name, address: h.address, labels: {} } };
      });
      return desiredServers(planForMembership(ensemble, members, reported, places), { kind: 'host' });
    },
    now: () => new Date(),
  };
}
