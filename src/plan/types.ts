// The placement plan: a pure value computed from the inventory, printed by `plan`,
// rendered by `render`, executed by `apply`. Serialised as-is by `plan --json`.
import type { ClientTls, NetworkMode, Profile } from '../inventory/types.js';
import type { Problem } from '../common/problems.js';
import type { ZkVersion } from './version.js';

// Defined beside the version rules (version.ts); re-exported for the plan's other readers.
export type { ZkVersion };

export interface SecurityPlan {
  quorumTls: boolean;
  /** off: plain client port; both: TLS on ports.secureClient beside it; only: TLS on ports.client, no plain port */
  clientTls: ClientTls;
  quorumSasl: boolean;
  clientSasl: boolean;
  /** a step on the way to (or back from) this security on a running ensemble (src/plan/security-phases.ts); absent: the security itself */
  phase?: 'unify' | 'tls';
}

export interface Ports {
  client: number;
  quorum: number;
  election: number;
  /** AdminServer port, present only when the AdminServer is enabled (ZooKeeper 3.5+). */
  admin?: number;
  /** Prometheus metrics port, present only when metrics are on (ZooKeeper 3.6+). */
  metrics?: number;
  /** TLS client port beside the plain one, present only under security.client_tls: both */
  secureClient?: number;
}

/** How one server names another in its `server.k=` line. */
export type AddressRef =
  /** the host's address; renderers may keep it as the variable `${ZOOKEEPER_k}` */
  | { kind: 'host'; variable: string; value: string }
  /** a container name, service name or link alias resolved by Docker's DNS */
  | { kind: 'name'; value: string }
  /** a static container IP */
  | { kind: 'ip'; value: string }
  /** 0.0.0.0: the own entry under ZooKeeper 3.4 on container networks */
  | { kind: 'any' };

export interface ServerEntry {
  id: number;
  address: AddressRef;
  quorumPort: number;
  electionPort: number;
  role: 'participant' | 'observer';
  /** `;clientPort` suffix: ZooKeeper 3.5+ server-line grammar only. */
  clientPort?: number;
}

/** What one server's zoo.cfg must say, independent of how an image profile transports it. */
export interface ServerConfig {
  myid: number;
  servers: ServerEntry[];
  clientPort: number;
  peerType: 'participant' | 'observer';
  quorumListenOnAllIPs: boolean;
  /** 4lw whitelist; null when the version has no whitelist (before 3.4.10). */
  fourLetterWords: string[] | null;
  /** null when the version has no AdminServer (3.4). */
  adminServer: { enabled: boolean; port?: number } | null;
}

export type PlacementConstraint =
  | { kind: 'label'; label: string; value: string }
  | { kind: 'hostname'; value: string };

export interface PlannedHost {
  name: string;
  address: string;
  labels: Record<string, string>;
}

export interface ServerPlan {
  id: number;
  role: 'participant' | 'observer';
  /** container / service name */
  name: string;
  host: PlannedHost;
  ports: Ports;
  /** host directory holding this server's data */
  dataDir: string;
  /** host directory holding this server's transaction logs, when the inventory sets data_log_dir */
  dataLogDir?: string;
  constraint: PlacementConstraint;
  /** the deploy-time variable holding this server's host address, e.g. ZOOKEEPER_1 */
  variable: string;
  /** single-host networks: the host port the client port is published on */
  publishedClientPort?: number;
  /** static-ip network: the container's address */
  staticIp?: string;
  /** links network: the alias peers use for this server */
  linkAlias?: string;
  config: ServerConfig;
}

export interface DockerNetworkPlan {
  name: string;
  driver: 'bridge' | 'overlay';
  subnet?: string;
  gateway?: string;
  ipRange?: string;
}

export interface DomainRisk {
  /** e.g. `zone=a`, `zone=a/rack=r1` (a rack within its zone), `host=h1` */
  domain: string;
  /** 'host' or a failure-domain label */
  label: string;
  value: string;
  hosts: string[];
  votersLost: number;
  votersLeft: number;
  quorumSurvives: boolean;
  /** domains holding the ensemble's servers on exactly the same hosts, shown as this one row */
  sameAs?: string[];
}

export interface QuorumAnalysis {
  voters: number;
  observers: number;
  majority: number;
  failuresTolerated: number;
  domains: DomainRisk[];
  /** domains whose loss alone loses quorum, named as DomainRisk.domain */
  critical: string[];
}

/** The ensemble's production settings, resolved from the inventory (same for every server). */
export interface EnsembleSettings {
  /** JVM max and initial heap in MiB; absent: the image's default */
  heapMiB?: number;
  /** where heapMiB comes from: the inventory's heap, or derived from memory */
  heapSource?: 'heap' | 'memory';
  /** container memory limit in bytes; absent: none */
  memoryBytes?: number;
  /** null: off */
  autopurge: { snapRetainCount: number; purgeIntervalHours: number } | null;
  /** host root of the transaction-log directories (<root>/<ensemble>/<id>); absent: beside the data */
  dataLogDir?: string;
  /** the Prometheus metrics provider, on ports.metrics */
  metrics: boolean;
  /** dynamic reconfiguration (`reconfig: true`): reconfigEnabled=true, standaloneEnabled=false */
  reconfig?: true;
  /** zoo.cfg entries from the inventory's zoo_cfg, in inventory order */
  zooCfg: [string, string][];
  /** container environment from the inventory's env, in inventory order */
  env: [string, string][];
}

export interface EnsemblePlan {
  name: string;
  image: string;
  profile: Profile;
  version: ZkVersion;
  network: NetworkMode;
  placement: {
    mode: 'pinned' | 'spread' | 'single-host';
    pinLabel?: string;
    spreadLabel?: string;
  };
  dataDir: string;
  dockerNetwork?: DockerNetworkPlan;
  /** bridge | links | static-ip: the host address the client ports are published on */
  publishAddress?: string;
  settings: EnsembleSettings;
  /** TLS and SASL; absent: plain text, no authentication */
  security?: SecurityPlan;
  servers: ServerPlan[];
  quorum: QuorumAnalysis;
  /** client connect string, host:port,... */
  connectString: string;
}

export interface FailureDomains {
  /** hosts are failure domains besides these; from the inventory, outermost first, each nested in those before it */
  labels: string[];
  source: 'inventory' | 'spread-labels';
}

export interface Plan {
  /** schema identifier of `plan --json` */
  format: 'zkplan.plan/v1';
  /** the labels analysed as failure domains besides hosts, from `failure_domains` or the spread labels */
  failureDomains: FailureDomains;
  ensembles: EnsemblePlan[];
  warnings: Problem[];
}
