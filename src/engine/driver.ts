// A deployment target as the rollout engine sees it. The engine (src/engine/engine.ts) owns every
// decision and the loop: what to create, start, replace or leave, in which order, the quorum
// budget, re-observing before each step, a leader change mid-roll, a server that does not stay
// up, stopping with every server's state named, and the lock. A driver only observes, creates,
// replaces, starts, removes and reports, for one target: host over SSH, Swarm, local engine.
import type { ContainerSpec } from '../rollout/spec.js';
import type { Dial } from '../verify/dial.js';
import type { ObservedServer } from '../rollout/rollout.js';
import type { EnsembleHealth } from '../verify/ensemble.js';
import type { Member } from '../verify/types.js';

export type TargetKind = 'host' | 'swarm' | 'local';

export interface DesiredServer {
  serverId: number;
  role: 'participant' | 'observer';
  /** inventory host the plan puts it on ('local' for the local engine) */
  host: string;
  /** container name (host, local) or service name (Swarm) */
  name: string;
  /** what runs, its config-hash label included (withHashLabel) */
  spec: ContainerSpec;
  configHash: string;
  /**
   * A server that takes a renewed certificate without a restart (host target, quorum TLS only;
   * src/plan/security.ts reloadsCertificates): the HMAC of the certificate it must present.
   */
  certificate?: string;
}

/** What runs now for one server (defined with the rollout decisions that read it). */
export type { ObservedServer };

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface HostChecks {
  host: string;
  ok: boolean;
  checks: Check[];
}

/** A container of the ensemble whose server id the plan no longer has (a membership change removes it). */
export interface FormerServer {
  serverId: number;
  host: string;
  name: string;
  running: boolean;
  /** where verify reaches it (its host's address and client port), when known */
  member?: Member;
}

export type StepStatus = 'start' | 'ok' | 'fail' | 'skip' | 'info';

/** Where a driver and the engine report progress (src/cli/progress.ts renders it). */
export interface Progress {
  step(host: string, step: string, status: StepStatus, detail?: string): void;
  note(message: string): void;
  close?(): void;
}

export interface LockOptions {
  /** a dry run takes no lock (but may still read, see lock()) */
  dryRun: boolean;
  forceUnlock: boolean;
  /** recorded with the lock: who holds it for what */
  command: string;
}

export interface HeldLock {
  release(): Promise<void>;
}

/**
 * One target. `Extra` is what the target adds to the apply report (host: the reachability
 * matrix; Swarm: the manager, node labels, pruned services).
 */
export interface Driver<Extra extends object = object> {
  readonly target: TargetKind;
  /**
   * Takes the deploy lock where the target has one (nothing when dryRun); refuses naming the
   * holder, with nothing changed. A driver may read what observe() and preflight() need in the
   * same round trip (the host driver: one exec per host) and answer their first call from it.
   */
  lock(desired: readonly DesiredServer[], opts: LockOptions): Promise<HeldLock>;
  /** What runs now for every desired server (modes excluded: the engine probes them). */
  observe(desired: readonly DesiredServer[]): Promise<Map<number, ObservedServer>>;
  /** Everything checked before anything changes anywhere; one `ok: false` stops the apply. */
  preflight(desired: readonly DesiredServer[], observed: ReadonlyMap<number, ObservedServer>, opts: { dryRun: boolean }): Promise<HostChecks[]>;
  /**
   * Where verify reaches each server's client port now: a Swarm server not yet moved where it
   * runs, a running container created with another client port on that port (its clientPort).
   */
  members(desired: readonly DesiredServer[], observed: ReadonlyMap<number, ObservedServer>): Member[];
  /**
   * Each server has a fixed address: members() of nothing observed is where the servers are
   * unless a container's clientPort says otherwise, so probes need not wait for observe().
   */
  readonly membersFixed?: boolean;
  /** How verify connects to a member (an SSH tunnel, or a direct socket). */
  readonly dial: Dial;
  /**
   * Every server runs on one Docker engine (local): none can move to another host, and the
   * addresses servers name each other by (container names, IPs) are not where verify reaches them.
   */
  readonly singleEngine?: boolean;
  /** A direct socket from this machine, where `dial` has no way to an address (a replaced host that is not connected). */
  readonly directDial?: Dial;
  /**
   * Before these servers are created, started or replaced (the parallel batch, then each rolling
   * step alone): records, networks, volumes, node labels. Not called when nothing changes.
   */
  prepare(servers: readonly DesiredServer[], desired: readonly DesiredServer[]): Promise<void>;
  /** Makes a server that has no container; returns once the target accepted it. */
  create(server: DesiredServer): Promise<void>;
  /** Replaces what runs (possibly elsewhere: observed.runningOn) with the desired server. */
  replace(server: DesiredServer, observed: ObservedServer): Promise<void>;
  /**
   * Puts a running server's renewed certificate in place for it to reload (no restart) and
   * returns once the server presents it, within timeoutMs; drivers whose desired servers carry a
   * `certificate` implement it.
   */
  reloadCertificate?(server: DesiredServer, timeoutMs: number): Promise<void>;
  /** Starts a stopped server whose configuration matches. */
  start(server: DesiredServer): Promise<void>;
  /** Removes the server's container or service (destroy); its data stays. */
  remove(server: DesiredServer): Promise<void>;
  /** The server's last log lines, for a server that does not stay up ('' when none). */
  logsTail(server: DesiredServer, lines: number): Promise<string>;
  /** Containers or services carrying this ensemble's label that the plan does not have (status). */
  unexpected(desired: readonly DesiredServer[]): Promise<string[]>;
  /** Membership changes: the ensemble's containers on the reachable hosts whose server id the plan does not have. */
  formerServers?(desired: readonly DesiredServer[]): Promise<FormerServer[]>;
  /** Membership changes: stops and removes a former server, moves its data to `<dir><suffix>`; returns where it went. */
  retire?(server: FormerServer, suffix: string): Promise<string[]>;
  /**
   * Membership changes: restarts a former server as it is (the leader that leaves hands leadership
   * over first). A driver that stops and starts it in two moves calls `whileDown` between them, so
   * the others elect a leader among themselves before it is back (a quick restart can win again).
   */
  restartFormer?(server: FormerServer, whileDown?: () => Promise<void>): Promise<void>;
  /** Membership changes: moves a joining server's leftover data (an earlier member with its id) to `<dir><suffix>`; returns what moved. */
  setAsideData?(serverId: number, host: string, suffix: string): Promise<string[]>;
  /**
   * After every server step of an apply, before the final verification (Swarm: prune stale
   * services). Resolves to false when it changed nothing the ensemble runs; anything else makes
   * the engine observe and prove the ensemble again.
   */
  finish?(desired: readonly DesiredServer[]): Promise<boolean | void>;
  /** After destroy removed every server: records, networks, and the data when purging. */
  teardown?(desired: readonly DesiredServer[], opts: { purgeData: boolean }): Promise<void>;
  /** What the target adds to the apply report, after verification (not on a dry run). */
  report?(health: EnsembleHealth, changed: boolean): Promise<Partial<Extra>>;
  /**
   * report() depends on nothing but which server leads (and on nothing finish() does): an apply
   * that changed something asks for it as its last proof starts, with the servers as that proof's
   * probe found them, and uses it when the proof passes with the same leader.
   */
  readonly reportFromLeader?: boolean;
}
