// A deployment target as the rollout engine sees it. The engine (src/engine/engine.ts) owns every
// decision and the loop: what to create, start, replace or leave, in which order, the quorum
// budget, re-observing before each step, a leader change mid-roll, a server that does not stay
// up, stopping with every server's state named, and the lock. A driver only observes, creates,
// replaces, starts, removes and reports, for one target: host over SSH, Swarm, local engine.
import type { ContainerSpec } from '../rollout/spec.js';
import type { Dial } from '../verify/dial.js';
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
}

export interface ObservedServer {
  exists: boolean;
  running: boolean;
  configHash?: string;
  /** Docker's state (running, restarting, exited, ...) or the Swarm task's */
  status?: string;
  restartCount?: number;
  exitCode?: number;
  /** ports the running container holds (io.zkplan.ports) */
  ports?: number[];
  /** what runs now, to say what a change changes (names only, never values) */
  image?: string;
  env?: readonly string[];
  /** inventory host it runs on now, where the target can move a server (Swarm) */
  runningOn?: string;
  /** a container by that name that zkplan did not make for this server */
  foreign?: boolean;
  /** `srvr` mode; filled by the engine, never by a driver */
  mode?: string;
}

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

export type StepStatus = 'start' | 'ok' | 'fail' | 'skip' | 'info';

/** Where a driver and the engine report progress (src/deploy/progress.ts renders it). */
export interface Progress {
  step(host: string, step: string, status: StepStatus, detail?: string): void;
  note(message: string): void;
  close?(): void;
}

export interface Driver {
  readonly target: TargetKind;
  /** Takes the deploy lock where the target has one (nothing when dryRun); refuses naming the holder. */
  lock(opts: { dryRun: boolean; forceUnlock: boolean; command: string }): Promise<{ release(): Promise<void> }>;
  /** What runs now for every desired server (modes excluded). */
  observe(desired: readonly DesiredServer[]): Promise<Map<number, ObservedServer>>;
  /** Everything checked before anything changes anywhere; `ok: false` stops the apply. */
  preflight(desired: readonly DesiredServer[], observed: ReadonlyMap<number, ObservedServer>, opts: { dryRun: boolean }): Promise<HostChecks[]>;
  /** Where verify reaches each server's client port now (a moved Swarm server: where it runs). */
  members(desired: readonly DesiredServer[], observed: ReadonlyMap<number, ObservedServer>): Member[];
  /** How verify connects to a member (an SSH tunnel, or a direct socket). */
  readonly dial: Dial;
  /** Before these servers are created or replaced: records, networks, volumes, node labels. */
  prepare(servers: readonly DesiredServer[]): Promise<void>;
  create(server: DesiredServer): Promise<void>;
  replace(server: DesiredServer, observed: ObservedServer | undefined): Promise<void>;
  start(server: DesiredServer): Promise<void>;
  remove(server: DesiredServer): Promise<void>;
  /** The server's last log lines, for a server that does not stay up ('' when none). */
  logsTail(server: DesiredServer, lines: number): Promise<string>;
}
