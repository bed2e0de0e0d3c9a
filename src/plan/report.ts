// The dry-run placement report in text or markdown. Pure: plan in, string out.
import { formatProblem } from '../common/problems.js';
import { tableLines } from '../common/table.js';
import { classicConstraint, swarmConstraint } from './constraints.js';
import { formatMiB, MIB } from './settings.js';
import type { EnsemblePlan, Plan, ServerPlan } from './types.js';

export type ReportFormat = 'text' | 'markdown';

const COLUMNS = ['ID', 'ROLE', 'NAME', 'HOST', 'ADDRESS', 'LABELS', 'PORTS C/Q/E/ADMIN', 'CLASSIC CONSTRAINT', 'SWARM CONSTRAINT'];

export function formatPlanReport(plan: Plan, format: ReportFormat): string {
  const out: string[] = [];
  const domains = plan.failureDomains;
  const named = domains.labels.length ? `${domains.labels.join(domains.source === 'inventory' ? ' > ' : ', ')} and hosts` : 'hosts';
  const source = domains.source === 'inventory' ? 'failure_domains' : domains.labels.length ? 'the spread labels in use' : 'no failure_domains and no spread label';
  out.push(`${format === 'markdown' ? '**Failure domains:** ' : 'Failure domains: '}${named} (from ${source})`, '');
  for (const e of plan.ensembles) out.push(...ensembleSection(e, format), '');
  if (plan.warnings.length > 0) {
    out.push(format === 'markdown' ? '## Warnings' : 'Warnings:', '');
    for (const w of plan.warnings) out.push(format === 'markdown' ? `- \`${formatProblem(w)}\`` : `  ${formatProblem(w)}`);
    out.push('');
  }
  return out.join('\n');
}

function ensembleSection(e: EnsemblePlan, format: ReportFormat): string[] {
  const md = format === 'markdown';
  const q = e.quorum;
  const lines: string[] = [];
  const placement =
    e.placement.mode === 'pinned'
      ? `pinned by ${e.placement.pinLabel}`
      : e.placement.mode === 'spread'
        ? `spread over ${e.placement.spreadLabel ?? 'hosts'}`
        : `single host ${e.servers[0]!.host.name}`;
  lines.push(md ? `## Ensemble \`${e.name}\`` : `Ensemble ${e.name}`);
  lines.push(
    `${md ? '' : '  '}${q.voters} voter${q.voters === 1 ? '' : 's'}, ${q.observers} observer${q.observers === 1 ? '' : 's'}; image ${e.image} ` +
      `(profile ${e.profile}, ZooKeeper ${e.version.text} from ${e.version.source}); network ${e.network}` +
      `${e.dockerNetwork ? ` (${e.dockerNetwork.driver} network ${e.dockerNetwork.name}${e.dockerNetwork.subnet ? ` ${e.dockerNetwork.subnet}` : ''})` : ''}; placement ${placement}`,
  );
  lines.push(`${md ? '**Settings:** ' : '  Settings: '}${settingsLine(e)}`);
  if (e.security) lines.push(`${md ? '**Security:** ' : '  Security: '}${securityLine(e)}`);
  lines.push('');
  const rows = e.servers.map(serverRow);
  lines.push(...(md ? markdownTable(COLUMNS, rows) : tableLines([COLUMNS, ...rows])));
  lines.push('');
  const tolerance = `tolerates ${q.failuresTolerated} voter failure${q.failuresTolerated === 1 ? '' : 's'}`;
  lines.push(`${md ? '**Quorum:** ' : '  Quorum: '}majority ${q.majority} of ${q.voters} voters; ${tolerance}.`);
  lines.push(md ? '' : '  Failure domains (losing one of them alone):');
  const domainRows = q.domains.map((d) => [
    [d.domain, ...(d.sameAs ?? [])].join(', '),
    d.hosts.join(' '),
    String(d.votersLost),
    String(d.votersLeft),
    d.quorumSurvives ? 'quorum survives' : 'QUORUM LOST',
  ]);
  const domainColumns = ['DOMAIN', 'HOSTS', 'VOTERS LOST', 'VOTERS LEFT', 'OUTCOME'];
  lines.push(...(md ? markdownTable(domainColumns, domainRows) : tableLines([domainColumns, ...domainRows], '    ')));
  lines.push('');
  lines.push(
    `${md ? '**Critical domains:** ' : '  Critical domains: '}${
      q.critical.length ? q.critical.join(', ') : 'none (no single host or failure domain holds enough voters to break quorum)'
    }`,
  );
  lines.push(`${md ? '**Connect string:** `' : '  Connect string: '}${e.connectString}${md ? '`' : ''}`);
  return lines;
}

function settingsLine(e: EnsemblePlan): string {
  const st = e.settings;
  const parts: string[] = [];
  const heap = st.heapMiB === undefined ? "heap: the image's default" : `heap ${formatMiB(st.heapMiB)}${st.heapSource === 'memory' ? ' (from memory)' : ''}`;
  parts.push(st.memoryBytes === undefined ? `${heap}, no memory limit` : `${heap}, memory limit ${formatMiB(st.memoryBytes / MIB)}`);
  parts.push(st.autopurge === null ? 'autopurge off' : `autopurge every ${st.autopurge.purgeIntervalHours} h keeping ${st.autopurge.snapRetainCount} snapshots`);
  parts.push(st.dataLogDir === undefined ? 'transaction logs beside the data' : `transaction logs under ${st.dataLogDir}`);
  const metricsPort = e.servers[0]?.ports.metrics;
  parts.push(st.metrics && metricsPort !== undefined ? `metrics on port ${metricsPort}` : 'metrics off');
  const words = e.servers[0]?.config.fourLetterWords;
  if (words) parts.push(`4lw ${words.join(',')}`);
  if (st.zooCfg.length > 0) parts.push(`zoo.cfg ${st.zooCfg.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  // names only: values may be secrets
  if (st.env.length > 0) parts.push(`env ${st.env.map(([k]) => k).join(' ')}`);
  return parts.join('; ');
}

function serverRow(s: ServerPlan): string[] {
  const p = s.ports;
  const ports = `${p.client}/${p.quorum}/${p.election}${p.admin ? `/${p.admin}` : ''}`;
  const published = s.publishedClientPort !== undefined ? ` (client on host :${s.publishedClientPort})` : '';
  const address = s.staticIp ?? s.host.address;
  return [
    String(s.id),
    s.role,
    s.name,
    s.host.name,
    address,
    Object.entries(s.host.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || '-',
    ports + published,
    classicConstraint(s.constraint),
    swarmConstraint(s.constraint),
  ];
}

function markdownTable(columns: string[], rows: string[][]): string[] {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [`| ${columns.join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)];
}

/** What the security block turns on, in words (never a secret: the plan has none). */
function securityLine(e: EnsemblePlan): string {
  const s = e.security!;
  const parts = [
    s.quorumTls ? 'quorum TLS' : '',
    s.clientTls === 'only' ? `client TLS only (port ${e.servers[0]!.ports.client})` : s.clientTls === 'both' ? `client TLS on port ${e.servers[0]!.ports.secureClient} beside the plain port` : '',
    s.quorumSasl ? 'quorum SASL (DIGEST-MD5)' : '',
    s.clientSasl ? 'client SASL (DIGEST-MD5)' : '',
  ];
  return `${parts.filter(Boolean).join(', ')}; key material made by zkplan apply, kept beside the inventory`;
}
