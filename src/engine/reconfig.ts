// Membership changes by dynamic reconfiguration (ZooKeeper 3.5.3+, `reconfig: true`; FACTS §8a):
// the same single-voter steps as the static method (src/rollout/membership.ts), but no member is
// restarted. A join starts the joiner with the committed membership plus itself, waits until it
// serves (it follows, synced, without a vote), then sends `reconfig -add` with its planned
// server line; a leave sends `reconfig -remove`. Each request names the configuration
// version it changes (a version conflict reads it again and retries). After the commit every
// member must report the new version and a znode is written and read back through every member;
// only then is a leaving server stopped, its data moved aside as the static method does.
import { sleep } from '../common/sleep.js';
import { describeMembership, describeSteps, type MembershipMember, type MembershipStep } from '../rollout/membership.js';
import { openAdminSession, ZkRequestError } from '../verify/admin-session.js';
import { fourLetterWord } from '../verify/four-letter.js';
import { parseConf } from '../verify/four-letter-parse.js';
import { configVersion, ZK_ERROR, type ReconfigChange } from '../verify/jute.js';
import { writeAndReadBack } from '../verify/znode.js';
import { join, leave, membersOf, probeAll, settled, stopMessage, union, type Ctx, type MembershipChange, type MovedServer } from './membership.js';

export async function changeByReconfig(ctx: Ctx, change: MembershipChange): Promise<void> {
  const { progress, ensemble } = ctx;
  let current = change.running;
  await settled(ctx, change, current, 'before the first step', ['membership']);
  for (const [i, step] of change.plan.steps.entries()) {
    progress.note(`${ensemble}: ${describeSteps([step], 'reconfig')[0]!.replace(/^step 1/, `step ${i + 1} of ${change.plan.steps.length}`)}`);
    const during = union(current, step.members);
    let request: ReconfigChange;
    if (step.kind === 'join') {
      await join(ctx, change, step, ctx.support.desiredFor(step.members, change.reported, change.former), during);
      request = { joining: [ctx.support.reconfig!.serverLine(step.serverId)] };
    } else request = { leaving: [step.serverId] };
    const version = await commit(ctx, change, step, current, request);
    await sameVersionEverywhere(ctx, change, step.members, version, i + 1);
    // A committed reconfig is active everywhere only once a write passed through it (FACTS §8a).
    await writeThrough(ctx, change, step.members, i + 1);
    if (step.kind === 'leave') await leave(ctx, change, step, during);
    current = step.members;
    await settled(ctx, change, current, `after reconfig step ${i + 1} (server.${step.serverId} ${step.kind === 'join' ? 'joined' : 'left'})`);
  }
}

/**
 * Sends the step's reconfig to the leader, checked against the configuration version it just
 * read: a conflict (another change came first) reads again and retries; a reconfig in progress or
 * a new configuration without a synced quorum waits and retries, until the apply's timeout. A
 * request whose answer was lost is not sent twice: the committed configuration already shows it.
 */
async function commit(ctx: Ctx, change: MembershipChange, step: MembershipStep, current: readonly MembershipMember[], request: ReconfigChange): Promise<bigint> {
  const password = ctx.support.reconfig!.superPassword;
  const deadline = Date.now() + ctx.timeoutMs;
  let last = '';
  for (let attempt = 1; ; attempt++) {
    const probes = await probeAll(ctx, change, current);
    const target = probes.find((p) => p.mode === 'leader') ?? probes.find((p) => p.mode !== null);
    if (target) {
      const session = await openAdminSession(ctx.driver.dial, target.address, target.port, password, ctx.timing.requestTimeoutMs).catch((err: unknown) => err as Error);
      if (session instanceof Error) {
        last = session.message;
        if (session instanceof ZkRequestError && FATAL.has(session.code)) throw await stopMessage(ctx, change, union(current, step.members), `reconfig refused: ${last}`);
      } else {
        try {
          const committed = await session.config();
          if (done(committed.text, step)) return committed.version;
          const result = await session.reconfig(request, committed.version);
          ctx.progress.note(`${ctx.ensemble}: reconfig ${step.kind === 'join' ? `-add server.${step.serverId}` : `-remove ${step.serverId}`} committed: configuration version ${result.version.toString(16)} (was ${committed.version.toString(16)})`);
          return result.version;
        } catch (err) {
          last = (err as Error).message;
          if (err instanceof ZkRequestError && FATAL.has(err.code)) throw await stopMessage(ctx, change, union(current, step.members), `reconfig refused: ${last}`);
        } finally {
          session.close();
        }
      }
    } else last = 'no server of the membership serves';
    if (Date.now() >= deadline) throw await stopMessage(ctx, change, union(current, step.members), `the reconfig of step server.${step.serverId} ${step.kind} did not commit within ${Math.round(ctx.timeoutMs / 1000)} s after ${attempt} attempts; last: ${last}`, probes);
    // A version conflict is retried at once with the version read again; anything else waits.
    if (!last.includes('BadVersion')) await sleep(Math.max(ctx.timing.pollMs, 500));
  }
}

/** Errors no retry can cure: the credential or the servers' configuration is wrong. */
const FATAL = new Set<number>([ZK_ERROR.noAuth, ZK_ERROR.authFailed, ZK_ERROR.reconfigDisabled, -6, -8]);

/** Whether the committed configuration already has the step done (a lost answer, an interrupted apply). */
function done(configText: string, step: MembershipStep): boolean {
  const line = parseConf(configText).servers.find((c) => c.id === step.serverId);
  return step.kind === 'join' ? line?.role === step.role : line === undefined;
}

/**
 * A znode written through the new membership and read back through every member of it. (The
 * whole check comes after a leaving server is stopped: until then the leader still counts it
 * as a non-voting follower.)
 */
async function writeThrough(ctx: Ctx, change: MembershipChange, ms: readonly MembershipMember[], stepNo: number): Promise<void> {
  const deadline = Date.now() + ctx.timeoutMs;
  for (;;) {
    const check = await (ctx.znodeCheck ?? writeAndReadBack)(membersOf(ctx, change, ms), ctx.driver.dial, { timeoutMs: ctx.timing.requestTimeoutMs });
    if (check.ok) return;
    if (Date.now() >= deadline) {
      const why = [...check.writeErrors.map((w) => `write via server.${w.id}: ${w.error}`), ...check.readVia.filter((r) => !r.ok).map((r) => `read via server.${r.id}: ${r.error ?? 'failed'}`)].join('; ');
      throw await stopMessage(ctx, change, ms, `after reconfig step ${stepNo} no znode could be written and read back through ${describeMembership(ms)}: ${why}`);
    }
    await sleep(Math.max(ctx.timing.pollMs, 200));
  }
}

/** Every member reports the configuration version the reconfig committed (`conf`). */
async function sameVersionEverywhere(ctx: Ctx, change: MembershipChange, ms: readonly MembershipMember[], version: bigint, stepNo: number): Promise<void> {
  const deadline = Date.now() + ctx.timeoutMs;
  for (;;) {
    const seen = await Promise.all(
      membersOf(ctx, change, ms).map(async (m) => {
        const text = await fourLetterWord(ctx.driver.dial, m.address, m.port, 'conf', ctx.timing.probeTimeoutMs).catch(() => '');
        return { id: m.id, version: configVersion(text) };
      }),
    );
    const behind = seen.filter((s) => s.version !== version);
    if (behind.length === 0) {
      ctx.progress.note(`${ctx.ensemble}: every member of ${describeMembership(ms)} reports configuration version ${version.toString(16)}`);
      return;
    }
    if (Date.now() >= deadline) {
      const which = behind.map((b) => `server.${b.id} ${b.version === undefined ? 'no version' : b.version.toString(16)}`).join(', ');
      throw await stopMessage(ctx, change, ms, `after reconfig step ${stepNo} not every member reports configuration version ${version.toString(16)}: ${which}`);
    }
    await sleep(Math.max(ctx.timing.pollMs, 200));
  }
}

/**
 * A server that keeps its id on a new host is not moved by reconfig yet: the members' committed
 * configuration names its old address and no member is restarted to learn the new one.
 */
export function movedUnderReconfig(ensemble: string, moved: readonly MovedServer[]): string {
  const which = moved.map((m) => `server.${m.serverId} (to ${m.host})`).join(', ');
  return `refusing to apply ${ensemble}: ${which} would keep ${moved.length > 1 ? 'their ids' : 'its id'} on a new host, which zkplan does not do by dynamic reconfiguration yet; remove ${moved.length > 1 ? 'them' : 'it'} from the membership (servers) in one apply and add ${moved.length > 1 ? 'them' : 'it'} back in the next; nothing was changed`;
}
