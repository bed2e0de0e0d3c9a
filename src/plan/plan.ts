// planInventory: the pure heart of zkplan. Same inventory → same plan, byte for byte.
import { endpoint, isUnspecifiedAddress } from '../common/address.js';
import { InputError, sortProblems, type Problem } from '../common/problems.js';
import type { EnsembleSpec, Host, Inventory, YamlPath } from '../inventory/types.js';
import { checkImageContract, checkPeerAddresses, checkVersionAgreement } from './image-contract.js';
import { ARTICLE_STATIC_NETWORK, planStaticAddresses } from './addresses.js';
import { failureDomainsOf } from './domains.js';
import { HostPool } from './host-pool.js';
import { placeEnsemble, type Placement, type Report } from './placement.js';
import { allocatePorts, type PortRequest } from './ports.js';
import { analyseQuorum } from './quorum.js';
import { serverConfig, type Member } from './server-config.js';
import { resolveSecurity, type SecurityPlan } from './security.js';
import { ALIYUN_MAX_LINES, fourLetterWords, resolveSettings } from './settings.js';
import type { DockerNetworkPlan, EnsemblePlan, EnsembleSettings, FailureDomains, Plan, ServerPlan } from './types.js';
import { atLeast, resolveVersion } from './version.js';

export function planInventory(inv: Inventory): Plan {
  const { plan, problems } = planWithProblems(inv);
  if (problems.some((p) => p.severity === 'error')) throw new InputError(problems);
  return plan;
}

/** The plan of what could be planned, and every problem found (errors too), sorted: for reporting them all at once. */
export function planWithProblems(inv: Inventory): { plan: Plan; problems: Problem[] } {
  const problems: Problem[] = [];
  const report: Report = (path, message, severity = 'error', at = 'value') => problems.push({ ...inv.at(path, at), message, severity });

  const failureDomains = failureDomainsOf(inv);
  const placed: { spec: EnsembleSpec; placement: Placement }[] = [];
  const settings = new Map<number, EnsembleSettings>();
  const security = new Map<number, SecurityPlan | undefined>();
  const pool = new HostPool(inv.hosts, failureDomains);
  for (const spec of inv.ensembles) {
    checkProfile(spec, report);
    checkVersionAgreement(spec, report);
    checkPlacementHints(spec, pool, report);
    settings.set(spec.index, resolveSettings(spec, resolveVersion(spec), report));
    security.set(spec.index, resolveSecurity(spec, report));
    const placement = placeEnsemble(spec, pool, report);
    if (placement) checkPeerAddresses(spec, placement, report);
    if (placement) placed.push({ spec, placement });
  }
  checkNameCollisions(placed, report);

  const requests: PortRequest[] = placed.map(({ spec, placement }) => ({
    spec,
    hosts: distinctHosts(placement),
    members: placement.assignments.length,
    adminEnabled: adminEnabled(spec),
    metricsEnabled: settings.get(spec.index)!.metrics,
    secureClientEnabled: security.get(spec.index)?.clientTls === 'both',
  }));
  const ports = allocatePorts(requests, report);

  const ensembles: EnsemblePlan[] = [];
  for (const { spec, placement } of placed) {
    const assigned = ports.get(spec.index);
    if (!assigned) continue;
    const network = dockerNetwork(spec);
    const staticIps = spec.network === 'static-ip' ? planStaticAddresses(spec, network!, report) : undefined;
    if (spec.network === 'static-ip' && !staticIps) continue;
    const ensemble = buildEnsemble(spec, placement, settings.get(spec.index)!, security.get(spec.index), assigned.ports, assigned.publishedBase, network, staticIps, failureDomains);
    warnAboutQuorum(ensemble, spec, report);
    checkImageContract(ensemble, spec, report);
    ensembles.push(ensemble);
  }

  // ensembles sharing a pin label would each report the same bad host label
  const unique = [...new Map(problems.map((p) => [`${p.line}:${p.col}:${p.message}`, p])).values()];
  const sorted = sortProblems(unique);
  return { plan: { format: 'zkplan.plan/v1', failureDomains, ensembles, warnings: sorted }, problems: sorted };
}

function buildEnsemble(
  spec: EnsembleSpec,
  placement: Placement,
  settings: EnsembleSettings,
  security: SecurityPlan | undefined,
  ports: ServerPlan['ports'],
  publishedBase: number | undefined,
  network: DockerNetworkPlan | undefined,
  staticIps: string[] | undefined,
  failureDomains: FailureDomains,
): EnsemblePlan {
  const version = resolveVersion(spec);
  const prefix = servicePrefix(spec);
  const members: Member[] = placement.assignments.map((a) => ({
    id: a.id,
    role: a.role,
    name: `${prefix}${a.id}`,
    hostAddress: a.host.address,
    variable: `ZOOKEEPER_${a.id}`,
    ...(spec.network === 'links' ? { linkAlias: `${prefix}node${a.id}` } : {}),
    ...(staticIps ? { staticIp: staticIps[a.id - 1]! } : {}),
  }));
  const ctx = { version, network: spec.network, ports, adminServer: adminEnabled(spec), fourLetterWords: fourLetterWords(spec), plainClientPort: security?.clientTls !== 'only' };
  const dataRoot = spec.data_dir.replace(/\/+$/, '') || '';
  const logRoot = settings.dataLogDir?.replace(/\/+$/, '');
  const servers: ServerPlan[] = placement.assignments.map((a, i) => {
    const member = members[i]!;
    return {
      id: a.id,
      role: a.role,
      name: member.name,
      host: { name: a.host.name, address: a.host.address, labels: a.host.labels },
      ports,
      dataDir: serverDir(dataRoot, spec.name, a.id),
      ...(logRoot !== undefined ? { dataLogDir: serverDir(logRoot, spec.name, a.id) } : {}),
      constraint: a.constraint,
      variable: member.variable,
      ...(publishedBase !== undefined ? { publishedClientPort: publishedBase + i } : {}),
      ...(member.staticIp ? { staticIp: member.staticIp } : {}),
      ...(member.linkAlias ? { linkAlias: member.linkAlias } : {}),
      config: serverConfig(member, members, ctx),
    };
  });
  const publishAddress = spec.publish_address ?? '127.0.0.1';
  return {
    name: spec.name,
    image: spec.image,
    profile: spec.profile,
    version,
    network: spec.network,
    placement: {
      mode: placement.mode,
      ...(spec.placement.pin_label ? { pinLabel: spec.placement.pin_label } : {}),
      ...(spec.placement.spread_label ? { spreadLabel: spec.placement.spread_label } : {}),
    },
    dataDir: spec.data_dir,
    ...(network ? { dockerNetwork: network } : {}),
    ...(placement.mode === 'single-host' ? { publishAddress } : {}),
    settings,
    ...(security ? { security } : {}),
    servers,
    quorum: analyseQuorum(servers, failureDomains),
    connectString: servers
      .map((s) => (s.publishedClientPort !== undefined ? endpoint(clientAddress(publishAddress, s), s.publishedClientPort) : endpoint(s.host.address, s.ports.client)))
      .join(','),
  };
}

/**
 * Where a client reaches a published port. A wildcard publish address listens on every
 * interface of the host but cannot be connected to, so clients use the host's own address
 * (`up --local` prints loopback instead: its clients run on that machine).
 */
function clientAddress(publishAddress: string, s: ServerPlan): string {
  return isUnspecifiedAddress(publishAddress) ? s.host.address : publishAddress;
}

function servicePrefix(spec: EnsembleSpec): string {
  return spec.service_prefix ?? (spec.profile === 'aliyun' ? 'zookeeper' : spec.name);
}

function adminEnabled(spec: EnsembleSpec): boolean {
  return atLeast(resolveVersion(spec), 3, 5) && spec.admin_server !== false;
}

function distinctHosts(p: Placement): Host[] {
  return [...new Map(p.assignments.map((a) => [a.host.name, a.host])).values()];
}

function dockerNetwork(spec: EnsembleSpec): DockerNetworkPlan | undefined {
  if (spec.network === 'host') return undefined;
  const given = spec.docker_network ?? {};
  const defaults = spec.network === 'static-ip' && given.subnet === undefined ? ARTICLE_STATIC_NETWORK : {};
  const merged = { ...defaults, ...given };
  return {
    name: merged.name ?? `${spec.name}-net`,
    driver: spec.network === 'overlay' ? 'overlay' : 'bridge',
    ...(merged.subnet ? { subnet: merged.subnet } : {}),
    ...(merged.gateway ? { gateway: merged.gateway } : {}),
    ...(merged.ip_range ? { ipRange: merged.ip_range } : {}),
  };
}

function checkProfile(spec: EnsembleSpec, report: Report): void {
  const at = (field: string): YamlPath => ['ensembles', spec.index, field];
  const total = spec.servers + spec.observers;
  if (spec.profile === 'aliyun' && total > ALIYUN_MAX_LINES) {
    report(
      at('servers'),
      `the aliyun image reads at most ${ALIYUN_MAX_LINES} ADDITIONAL_ZOOKEEPER_n lines, so profile aliyun supports at most ${ALIYUN_MAX_LINES} servers; ensemble "${spec.name}" has ${total}`,
    );
  }
  if (spec.network === 'host' && spec.docker_network) {
    report(at('docker_network'), `docker_network is ignored under host networking`, 'warning');
  }
  if (spec.network === 'static-ip' && spec.docker_network?.subnet === undefined && spec.docker_network?.addresses) {
    report(['ensembles', spec.index, 'docker_network', 'addresses'], `static addresses need docker_network.subnet`);
  }
  if (spec.profile === 'bitnami') {
    report(at('profile'), `Bitnami's versioned ZooKeeper images moved to docker.io/bitnamilegacy in 2025 and get no updates`, 'warning');
  }
}

function checkPlacementHints(spec: EnsembleSpec, pool: HostPool, report: Report): void {
  const { pin_label: pin, spread_label: spread } = spec.placement;
  const multiHost = spec.network === 'host' || spec.network === 'overlay';
  if (!multiHost) return;
  if (spread !== undefined && pin === undefined) {
    const domains = pool.grouping(spread);
    const unlabelled = domains.groups[domains.names.indexOf(undefined)] ?? [];
    if (unlabelled.length > 0 && unlabelled.length < pool.hosts.length) {
      report(
        ['ensembles', spec.index, 'placement', 'spread_label'],
        `host${unlabelled.length > 1 ? 's' : ''} ${unlabelled.map((h) => h.name).join(', ')} lack${unlabelled.length > 1 ? '' : 's'} label "${spread}" and count as one failure domain`,
        'warning',
      );
    }
  }
}

function checkNameCollisions(placed: { spec: EnsembleSpec; placement: Placement }[], report: Report): void {
  const seen = new Map<string, string>(); // host/name → ensemble
  for (const { spec, placement } of placed) {
    const prefix = servicePrefix(spec);
    for (const a of placement.assignments) {
      const key = `${a.host.name}/${prefix}${a.id}`;
      const other = seen.get(key);
      if (other !== undefined && other !== spec.name) {
        report(
          ['ensembles', spec.index, spec.service_prefix ? 'service_prefix' : 'name'],
          `container name "${prefix}${a.id}" of ensemble "${spec.name}" is also used by ensemble "${other}" on host "${a.host.name}"; set a distinct service_prefix`,
        );
        return;
      }
      seen.set(key, spec.name);
    }
  }
}

function warnAboutQuorum(e: EnsemblePlan, spec: EnsembleSpec, report: Report): void {
  const at: YamlPath = ['ensembles', spec.index, 'servers'];
  const q = e.quorum;
  if (q.voters < 3) {
    report(at, `ensemble "${e.name}" has ${q.voters} voter${q.voters === 1 ? '' : 's'}: no server failure is tolerated; use at least 3`, 'warning');
  } else if (q.voters % 2 === 0) {
    report(at, `ensemble "${e.name}" has ${q.voters} voters, which tolerate no more failures than ${q.voters - 1}; use an odd number`, 'warning');
  }
  if (e.placement.mode === 'single-host') {
    report(at, `ensemble "${e.name}" runs every server on host "${e.servers[0]!.host.name}": for development and tests, not for production`, 'warning');
    return;
  }
  for (const d of q.domains) {
    if (d.label === 'host' || d.quorumSurvives || q.voters < 3) continue;
    report(
      at,
      `losing ${d.domain} alone loses the quorum of ensemble "${e.name}" (${d.votersLost} of ${q.voters} voters there, majority is ${q.majority})`,
      'warning',
    );
  }
}

/** A server's own directory under a data (or data log) root: `<root>/<ensemble>/<id>`. */
export function serverDir(root: string, ensemble: string, id: number): string {
  return `${root.replace(/\/+$/, '')}/${ensemble}/${id}`;
}
