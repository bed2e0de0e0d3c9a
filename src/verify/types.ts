// Shapes shared by probing (I/O) and judging (pure).

import type { ConfServer, Mntr, ZkMode } from './four-letter-parse.js';
import type { FourLetterErrorKind } from './four-letter.js';

export interface Member {
  id: number;
  role: 'participant' | 'observer';
  /** Where verify connects for this server's client port (may be reached through a tunnel). */
  address: string;
  port: number;
}

export interface ServerProbe {
  id: number;
  role: Member['role'];
  address: string;
  port: number;
  /** Something answered `srvr` (possibly "not serving"). */
  reachable: boolean;
  mode: ZkMode | null;
  zxid: bigint | null;
  epoch: number | null;
  latencyAvg: number | null;
  connections: number | null;
  /** Why mode is null, or why the server's `conf` could not be read. */
  error?: string;
  errorKind?: FourLetterErrorKind | 'parse';
  /** Membership as this server sees it (`conf`); absent when `conf` failed. */
  membership?: ConfServer[];
  membershipError?: string;
}

export interface EnsembleProbe {
  servers: ServerProbe[];
  /** `mntr` of the single server reporting `leader`, when there is exactly one. */
  leaderMntr?: Mntr;
  leaderMntrError?: string;
}

export type IssueKind =
  | 'unreachable'
  | 'not-serving'
  | 'standalone'
  | 'leader-count'
  | 'mode'
  | 'epoch'
  | 'sync'
  | 'membership'
  | 'probe';

export interface Issue {
  kind: IssueKind;
  /** The server at fault, when there is one. */
  id?: number;
  message: string;
}

export interface Verdict {
  ok: boolean;
  problems: string[];
  issues: Issue[];
  /** Things that could not be checked; they do not fail the verdict. */
  warnings: string[];
}
