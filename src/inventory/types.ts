// The validated inventory, with defaults applied. Field names follow the YAML contract.

export type Profile = 'aliyun' | 'official' | 'bitnami';
export type MultiHostNetwork = 'host' | 'overlay';
export type SingleHostNetwork = 'bridge' | 'links' | 'static-ip';
export type NetworkMode = MultiHostNetwork | SingleHostNetwork;
export const PROFILES: readonly Profile[] = ['aliyun', 'official', 'bitnami'];
/** Networks a Docker host shares with others: the host's own, or a Swarm overlay. */
export const MULTI_HOST_NETWORKS: readonly MultiHostNetwork[] = ['host', 'overlay'];
/** Networks that exist on one Docker host only (a bridge and what is built on it). */
export const SINGLE_HOST_NETWORKS: readonly SingleHostNetwork[] = ['bridge', 'links', 'static-ip'];
export const NETWORK_MODES: readonly NetworkMode[] = [...MULTI_HOST_NETWORKS, ...SINGLE_HOST_NETWORKS];

export function isSingleHost(network: NetworkMode): network is SingleHostNetwork {
  return (SINGLE_HOST_NETWORKS as readonly NetworkMode[]).includes(network);
}

export interface SshSettings {
  user?: string;
  port?: number;
  identity_file?: string;
  /** A jump host, `[user@]host[:port]`, as ssh's ProxyJump. */
  jump?: string;
  known_hosts?: string;
}

export interface Host {
  name: string;
  address: string;
  labels: Record<string, string>;
  ssh: SshSettings; // inventory defaults merged with the host's own keys
  swarm?: 'manager' | 'worker';
  /** where zkplan keeps its per-ensemble record and deploy lock on this host */
  stateDir: string;
  /** the Docker engine's socket (`unix:///path`) when the inventory names it; else discovered */
  dockerHost?: string;
  /** Position of this host in the inventory (0-based); the tie-breaker everywhere. */
  index: number;
}

export interface PortsSpec {
  client?: number;
  quorum?: number;
  election?: number;
  admin?: number;
  metrics?: number;
  /** the TLS client port beside the plain one (security.client_tls: both) */
  secure_client?: number;
}

/** A secret by reference: a local file or an environment variable's name, never the value. */
export type SecretRef = { file: string } | { env: string };

export type ClientTls = 'off' | 'both' | 'only';

export interface SecuritySpec {
  quorum_tls?: boolean;
  client_tls?: ClientTls;
  quorum_sasl?: boolean;
  client_sasl?: boolean;
  tls?: { dir?: string; ca_cert?: string; ca_key?: string };
  quorum_sasl_password?: SecretRef;
  client_sasl_password?: SecretRef;
}

export interface AutopurgeSpec {
  snap_retain_count?: number;
  purge_interval_hours?: number;
}

/** A zoo.cfg or environment value as YAML gives it. */
export type ScalarValue = string | number | boolean;

export interface DockerNetworkSpec {
  name?: string;
  subnet?: string;
  gateway?: string;
  ip_range?: string;
  addresses?: string[];
}

export interface EnsembleSpec {
  name: string;
  servers: number;
  observers: number;
  image: string;
  profile: Profile;
  zookeeper_version?: string;
  network: NetworkMode;
  ports: PortsSpec;
  data_dir: string;
  placement: { pin_label?: string; spread_label?: string };
  docker_network?: DockerNetworkSpec;
  /** single-host networks: the host that runs every server (default: the first host). */
  host?: string;
  /** container/service names are `<service_prefix><id>`. */
  service_prefix?: string;
  /** ZooKeeper 3.5+ AdminServer (default true; ports allocated per host under host networking). */
  admin_server?: boolean;
  /** single-host networks: host address the client ports are published on. */
  publish_address?: string;
  /** JVM heap, e.g. `1g` (the inventory's text). */
  heap?: string;
  /** container memory limit, e.g. `2g` (the inventory's text). */
  memory?: string;
  /** true or absent: on with the defaults; false: off. */
  autopurge?: boolean | AutopurgeSpec;
  data_log_dir?: string;
  metrics?: boolean;
  /** dynamic reconfiguration (3.5.3+): membership changes by `reconfig`, members never restarted */
  reconfig?: boolean;
  four_letter_words?: string[];
  zoo_cfg?: Record<string, ScalarValue>;
  env?: Record<string, ScalarValue>;
  security?: SecuritySpec;
  index: number;
}

/** Path into the YAML document, e.g. ['ensembles', 0, 'ports', 'client']. */
export type YamlPath = readonly (string | number)[];

export interface SourcePosition {
  file: string;
  line: number;
  col: number;
}

export interface Inventory {
  file: string;
  ssh: SshSettings;
  hosts: Host[];
  ensembles: EnsembleSpec[];
  /** `failure_domains` as written (outermost first); the planner supplies the default. */
  failureDomains?: string[];
  /** Swarm mode: the manager host (swarm.manager, or the host flagged `swarm: manager`). */
  swarmManager?: string;
  /** Where a node of the inventory was written; falls back to the nearest existing parent. */
  at(path: YamlPath, which?: 'key' | 'value'): SourcePosition;
}
