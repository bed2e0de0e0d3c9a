// The membership step planner (static method): single-server steps whose consecutive voter sets
// have overlapping majorities, ending at the planned membership; refusals up front.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { describeSteps, planMembership, sameMembership, type MembershipMember, type RunningMember } from '../../src/rollout/membership.js';

/** Every majority of `a` meets every majority of `b`, checked by brute force over all subsets. */
function majoritiesOverlap(a: readonly number[], b: readonly number[]): boolean {
  const majorities = (s: readonly number[]) => {
    const out: Set<number>[] = [];
    for (let mask = 0; mask < 1 << s.length; mask++) {
      const pick = s.filter((_, i) => mask & (1 << i));
      if (pick.length > s.length / 2) out.push(new Set(pick));
    }
    return out;
  };
  const ma = majorities(a);
  const mb = majorities(b);
  return ma.every((qa) => mb.every((qb) => [...qa].some((x) => qb.has(x))));
}

const voters = (ms: readonly MembershipMember[]) =>
  ms
    .filter((m) => m.role === 'participant')
    .map((m) => m.id)
    .sort((x, y) => x - y);

const membershipArb = fc
  .uniqueArray(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 })
  .chain((ids) => fc.tuple(fc.constant(ids), fc.array(fc.boolean(), { minLength: ids.length, maxLength: ids.length })))
  .map(([ids, observer]) => ids.map((id, i): MembershipMember => ({ id, role: observer[i] && i > 0 ? 'observer' : 'participant' })));

const serving = (ms: readonly MembershipMember[], leader: number): RunningMember[] =>
  ms.map((m, i) => ({ ...m, mode: m.role === 'observer' ? 'observer' : i === leader % ms.length ? 'leader' : 'follower' }));

describe('planMembership', () => {
  it('property: consecutive voter sets differ by at most one voter, majorities overlap, and the last step is the plan', () => {
    fc.assert(
      fc.property(membershipArb, membershipArb, fc.nat(), (old, planned, leader) => {
        const running = serving(old, leader);
        const { steps } = planMembership(running, planned);
        let prev: MembershipMember[] = old;
        for (const s of steps) {
          const a = voters(prev);
          const b = voters(s.members);
          const differ = a.filter((x) => !b.includes(x)).length + b.filter((x) => !a.includes(x)).length;
          assert.ok(differ <= 1, `step ${s.kind} ${s.serverId}: ${a} → ${b}`);
          assert.ok(majoritiesOverlap(a, b), `disjoint majorities ${a} → ${b}`);
          assert.equal(s.majority, Math.floor(s.voters / 2) + 1);
          prev = s.members;
        }
        assert.ok(sameMembership(prev, planned), `ends at ${JSON.stringify(prev)}, planned ${JSON.stringify(planned)}`);
      }),
    );
  });

  it('property: a plan it does not refuse keeps a majority serving in every step, and restarts the leader last', () => {
    fc.assert(
      fc.property(membershipArb, membershipArb, fc.nat(), (old, planned, leader) => {
        const running = serving(old, leader);
        const plan = planMembership(running, planned);
        if (plan.refusal) {
          assert.ok(plan.steps.some((s) => s.servingDuring < s.majority));
          return;
        }
        const leaderId = running.find((m) => m.mode === 'leader')?.id;
        for (const s of plan.steps) {
          assert.ok(s.servingDuring >= s.majority);
          if (leaderId !== undefined && s.restarts.includes(leaderId)) assert.equal(s.restarts.at(-1), leaderId);
          assert.ok(!s.restarts.includes(s.serverId), 'the joining or leaving server is not in the restarts');
        }
      }),
    );
  });

  const members = (...ids: number[]): MembershipMember[] => ids.map((id) => ({ id, role: 'participant' }));

  it('grows 3 → 5 in two joins, followers restarted first and the leader last', () => {
    const running = serving(members(1, 2, 3), 1); // server 2 leads
    const plan = planMembership(running, members(1, 2, 3, 4, 5));
    assert.equal(plan.refusal, undefined);
    assert.deepEqual(
      plan.steps.map((s) => [s.kind, s.serverId, s.restarts, voters(s.members), s.servingDuring, s.majority]),
      [
        ['join', 4, [1, 3, 2], [1, 2, 3, 4], 3, 3],
        ['join', 5, [1, 3, 4, 2], [1, 2, 3, 4, 5], 4, 3],
      ],
    );
  });

  it('shrinks 7 → 3 from the highest id down', () => {
    const running = serving(members(1, 2, 3, 4, 5, 6, 7), 6); // server 7 leads
    const plan = planMembership(running, members(1, 2, 3));
    assert.equal(plan.refusal, undefined);
    assert.deepEqual(
      plan.steps.map((s) => [s.kind, s.serverId, voters(s.members).length]),
      [
        ['leave', 7, 6],
        ['leave', 6, 5],
        ['leave', 5, 4],
        ['leave', 4, 3],
      ],
    );
    assert.deepEqual(plan.steps[0]!.restarts, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(describeSteps(plan.steps).at(-1), 'step 4: server.4 leaves (stopped after the restarts); restart server.1, server.2, server.3 one at a time; membership {1,2,3}; 3 of 4 voters serving during the step, majority 3');
  });

  it('changes nothing when the running membership is the plan', () => {
    assert.deepEqual(planMembership(serving(members(1, 2, 3), 0), members(1, 2, 3)), { steps: [] });
  });

  it('refuses when a running voter is not serving', () => {
    const running: RunningMember[] = [
      { id: 1, role: 'participant', mode: 'leader' },
      { id: 2, role: 'participant', mode: 'follower' },
      { id: 3, role: 'participant' },
    ];
    assert.match(planMembership(running, members(1, 2, 3, 4)).refusal ?? '', /server\.3 of the running membership is not serving/);
  });

  it('refuses to shrink 2 → 1 and to grow 1 → 2 (one restart would lose the majority)', () => {
    assert.match(planMembership(serving(members(1, 2), 0), members(1)).refusal ?? '', /removing server\.2 would leave 1 of 2 voters serving/);
    assert.match(planMembership(serving(members(1), 0), members(1, 2)).refusal ?? '', /adding server\.2 would leave 1 of 2 voters serving/);
  });

  it('turns a voter into an observer by a leave and a join', () => {
    const plan = planMembership(serving(members(1, 2, 3, 4), 0), [...members(1, 2, 3), { id: 4, role: 'observer' }]);
    assert.deepEqual(
      plan.steps.map((s) => [s.kind, s.serverId, s.role]),
      [
        ['leave', 4, 'participant'],
        ['join', 4, 'observer'],
      ],
    );
  });
});
