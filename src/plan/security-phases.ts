// Turning security on or off on a running ensemble without losing it (Admin Guide "Upgrading
// existing non-TLS cluster with no downtime", and the server-to-server SASL page): a sequence of
// rolling changes, each verified before the next.
//   plain → unify   key stores, Netty, portUnification (quorum accepts TLS and plain),
//                   client.portUnification (the client port accepts TLS and plain),
//                   quorum.auth.enableSasl (SASL offered, not required)
//         → tls     sslQuorum (servers dial TLS), quorum.auth.learnerRequireSasl
//         → secured portUnification off, serverRequireSasl, the TLS-only client port: the target
// and back down the same steps. Every server carries its step (and the security it is a step
// to) in a label, so where an interrupted sequence stopped is read from what runs.
import type { ClientTls } from '../inventory/types.js';
import type { SecurityPlan } from './security.js';
import type { EnsemblePlan } from './types.js';

export type SecurityPhase = 'unify' | 'tls';
/** 0: plain, 1: unify, 2: tls, 3: secured */
export const LEVELS = ['plain', 'unify', 'tls', 'secured'] as const;
export type Level = 0 | 1 | 2 | 3;

/**
 * The label a server of this security (and step) carries: `<step>:<what it is a step to>`, with
 * the TLS client port beside the plain one (client_tls: both), which the way back still opens.
 */
export function phaseLabel(s: SecurityPlan, secureClientPort?: number): string {
  const port = s.clientTls === 'both' && secureClientPort !== undefined ? `,secure_client=${secureClientPort}` : '';
  return `${s.phase ?? 'secured'}:${shapeOf(s)}${port}`;
}

function shapeOf(s: SecurityPlan): string {
  return [s.quorumTls ? 'quorum_tls' : '', s.clientTls !== 'off' ? `client_tls=${s.clientTls}` : '', s.quorumSasl ? 'quorum_sasl' : '', s.clientSasl ? 'client_sasl' : ''].filter(Boolean).join(',');
}

/** What a server's label says: its level and the security it is (a step to); no label: plain. */
export function readPhaseLabel(label: string | undefined): { level: Level; security?: SecurityPlan; secureClientPort?: number } {
  if (label === undefined) return { level: 0 };
  const [step, shape = ''] = label.split(':');
  const level = LEVELS.indexOf(step as (typeof LEVELS)[number]);
  if (level <= 0) return { level: 0 };
  const parts = shape.split(',');
  const client = parts.find((p) => p.startsWith('client_tls='))?.slice('client_tls='.length) as ClientTls | undefined;
  const security: SecurityPlan = { quorumTls: parts.includes('quorum_tls'), clientTls: client ?? 'off', quorumSasl: parts.includes('quorum_sasl'), clientSasl: parts.includes('client_sasl') };
  const port = Number(parts.find((p) => p.startsWith('secure_client='))?.slice('secure_client='.length));
  return { level: level as Level, security: level === 3 ? security : { ...security, phase: LEVELS[level] as SecurityPhase }, ...(port > 0 ? { secureClientPort: port } : {}) };
}

export interface PhaseStep {
  /** plain, unify, tls or secured */
  name: (typeof LEVELS)[number];
  /** what the servers run in this step; undefined: no security */
  security: SecurityPlan | undefined;
  /** the way back: the TLS client port the servers had beside the plain one */
  secureClientPort?: number;
}

/**
 * The rolling steps from what runs (each existing server's label) to the target. A fresh
 * ensemble (nothing exists) and an ensemble already at the target level go in one step; so
 * does a change between two different secured shapes (not phased: say so in the docs).
 */
export function phaseSteps(target: SecurityPlan | undefined, labels: readonly (string | undefined)[]): PhaseStep[] {
  const seen = labels.map(readPhaseLabel);
  const final: PhaseStep = { name: target ? 'secured' : 'plain', security: target };
  if (seen.length === 0) return [final];
  const step = (level: Level, shape: SecurityPlan): PhaseStep =>
    level === 0 ? { name: 'plain', security: undefined } : level === 3 ? { name: 'secured', security: withoutPhase(shape) } : { name: LEVELS[level], security: { ...withoutPhase(shape), phase: LEVELS[level] as SecurityPhase } };
  if (target) {
    const low = Math.min(...seen.map((s) => s.level)) as Level;
    const other = seen.find((s) => s.security && shapeOf(s.security) !== shapeOf(target));
    if (other) return [final];
    const steps: PhaseStep[] = [];
    for (let l = Math.max(low, 0) + 1; l <= 3; l++) steps.push(step(l as Level, target));
    return steps.length > 0 ? steps : [final];
  }
  const high = seen.reduce((a, b) => (b.level > a.level ? b : a));
  if (high.level === 0 || !high.security) return [final];
  const steps: PhaseStep[] = [];
  const port = high.secureClientPort !== undefined ? { secureClientPort: high.secureClientPort } : {};
  for (let l = high.level - 1; l >= 0; l--) steps.push({ ...step(l as Level, high.security), ...port });
  return steps;
}

function withoutPhase(s: SecurityPlan): SecurityPlan {
  const { phase: _phase, ...rest } = s;
  return rest;
}

/**
 * The ensemble as it runs in one step. Until the last step a `client_tls: only` ensemble keeps
 * its plain client port (with client.portUnification the same port takes TLS too), so its
 * server lines keep their `;port`.
 */
export function ensembleInStep(e: EnsemblePlan, step: PhaseStep): EnsemblePlan {
  const { security: _target, ...rest } = e;
  const s = step.security;
  const plainClientPort = !s || s.phase !== undefined || s.clientTls !== 'only';
  const modern = e.version.major > 3 || e.version.minor >= 5;
  return {
    ...rest,
    ...(s ? { security: s } : {}),
    servers: e.servers.map((srv) => ({
      ...srv,
      ports: s?.clientTls === 'both' ? { ...srv.ports, ...(srv.ports.secureClient === undefined && step.secureClientPort !== undefined ? { secureClient: step.secureClientPort } : {}) } : withoutSecureClient(srv.ports),
      config: { ...srv.config, servers: srv.config.servers.map((entry) => (plainClientPort && modern ? { ...entry, clientPort: srv.ports.client } : entry)) },
    })),
  };
}

function withoutSecureClient<T extends { secureClient?: number }>(ports: T): T {
  const { secureClient: _s, ...rest } = ports;
  return rest as T;
}
