// The Swarm target: an ensemble as a Swarm-mode stack, one service per server, deployed through
// the manager. Swarm would update changed services all at once; the engine instead rolls them
// one at a time, and this driver deploys each step as a stack file holding that one service,
// then waits until the service's task with the new configuration runs on the node the plan chose.
// Node labels pin the services: a label that moves a running server is moved in that server's
// step (stopped first), every other label before the first step.
// Every exec starts the remote user's login shell, so the manager starts as few as it can: the
// lock is taken over SFTP and the Swarm, the stack and the images are read through the Engine API
// over the SSH connections (manager-api.ts), so an apply that changes nothing starts no process
// on any node; the commands only the docker CLI has (stack deploy, node labels, scale) share one
// exec on the manager, opened when the first of them runs (src/drivers/lock.ts heldShell). A
// session without SFTP or forwarded channels takes the lock in that exec and reads through it in
// batches. Servers created together (a fresh ensemble) are deployed as one stack file.
import { sleep } from '../../common/sleep.js';
import { OperationalError } from '../../common/problems.js';
import type { Check, DesiredServer, Driver, HeldLock, HostChecks, LockOptions, ObservedServer, Progress } from '../../engine/driver.js';
import type { Inventory } from '../../inventory/types.js';
import type { EnsemblePlan } from '../../plan/types.js';
import { imageId } from '../../remote/commands/docker.js';
import { removeVolumes } from '../../remote/commands/docker-local.js';
import { removePaths } from '../../remote/commands/host.js';
import {
  deployStack,
  existingVolumes,
  removeService,
  removeStack,
  runningServiceContainers,
  scaleService,
  serviceContainers,
  serviceLogsTail,
  serviceTasks,
  stackContainers,
  stackDeployDetaches,
  updateNodeLabels,
} from '../../remote/commands/swarm.js';
import { batchScript, parseBatch, type BatchCommand } from '../../remote/batch.js';
import { checkResult, type HostSession, type RunResult } from '../../remote/session.js';
import { traced } from '../../remote/trace.js';
import { ensembleStateDir, LABEL_HASH } from '../../rollout/desired.js';
import type { Dial } from '../../verify/dial.js';
import type { Member } from '../../verify/types.js';
import { heldShell, lockAndRun, lockOverSftp } from '../lock.js';
import type { EngineClient } from '../../remote/engine-client.js';
import { listRunningByLabelsRequest } from '../../remote/commands/engine.js';
import { updateNodeLabelsThroughApi } from './node-labels.js';
import { engineFor } from '../host/engine-address.js';
import { imageThroughApi, readThroughApi } from './manager-api.js';
import { tunnelDial, type Sessions } from '../sessions.js';
import type { EnsembleMaterial } from '../../security/material.js';
import { clientPortDial } from '../../verify/tls-dial.js';
import { secretsWanted, SwarmSecrets } from './secrets.js';
import { describeLabels, labelsOfStep, labelsUpfront, markerLabel, movingServers, planLabels, type LabelChange } from './nodes.js';
import { observeCommands, readObservation, type Observation, type SwarmState } from './observe.js';
import type { DesiredStack, StackService } from './stack.js';

/** What `--target swarm` adds to the apply report. */
export interface SwarmReport {
  manager: string;
  /** node label changes made, `node: +key=value -key` */
  labels: string[];
  /** services of the stack removed because the plan no longer has them */
  pruned: string[];
}

const POLL_MS = 250;

/** The manager's session: the host flagged as Swarm manager in the inventory. */
export function managerSession(inventory: Inventory, sessions: Sessions): HostSession {
  const name = inventory.swarmManager;
  const session = name === undefined ? undefined : sessions.get(name);
  if (!session) throw new OperationalError('no Swarm manager: flag one host `swarm: manager` (or set swarm.manager) in the inventory');
  return session;
}

/** Where zkplan keeps the stack files it deployed, on the manager. */
export function stackDir(manager: HostSession, ensemble: string): string {
  return `${ensembleStateDir(manager.host.stateDir, ensemble)}/swarm`;
}

export class SwarmDriver implements Driver<SwarmReport> {
  readonly target = 'swarm' as const;
  readonly dial: Dial;
  private readonly manager: HostSession;
  private swarm: SwarmState | undefined;
  private observed: ReadonlyMap<number, ObservedServer> = new Map();
  private stale: string[] = [];
  private recorded = false;
  private readonly labelled: string[] = [];
  private readonly pruned: string[] = [];
  /** `docker stack deploy` runs one at a time: parallel creates would race on the stack's network. */
  private deploying: Promise<unknown> = Promise.resolve();
  private observing: Promise<unknown> | undefined;
  /** Runs a command on a host; on the manager, through the exec holding the lock once there is one. */
  private run: (host: string, argv: readonly string[]) => Promise<RunResult>;
  /** What the lock's exec read on the manager, until the first observe() used it. */
  private found: ReadonlyMap<string, RunResult> | undefined;
  /** Whether the manager's docker CLI knows `stack deploy --detach` (asked with the lock). */
  private detach: boolean | undefined;
  /** Whether each server host has the image (preflight), asked while the lock is taken. */
  private images: Promise<Map<string, RunResult>> | undefined;
  /** Servers whose create() waits for the next deploy, and that deploy. */
  private creating: StackService[] = [];
  private createDeploy: Promise<void> | undefined;
  private readonly secrets: SwarmSecrets;
  private api: Promise<EngineClient | undefined> | undefined;
  private readonly nodeApis = new Map<string, Promise<EngineClient | undefined>>();
  /** Opens the manager's exec for the docker CLI ahead of its first command (set while the lock is held). */
  private openShell: (() => void) | undefined;

  constructor(
    private readonly inventory: Inventory,
    private readonly ensemble: EnsemblePlan,
    private readonly stack: DesiredStack,
    private readonly sessions: Sessions,
    private readonly progress: Progress,
    /** material: a secured ensemble's key material and secrets (src/security/material.ts), made into Docker secrets */
    private readonly opts: { timeoutMs: number; material?: EnsembleMaterial },
  ) {
    this.manager = managerSession(inventory, sessions);
    this.dial = clientPortDial(tunnelDial(sessions), ensemble.security, opts.material?.client);
    this.secrets = new SwarmSecrets(this.manager, ensemble.name);
    this.run = (host, argv) => this.sessions.get(host)!.run(argv);
  }

  async lock(desired: readonly DesiredServer[], opts: LockOptions): Promise<HeldLock> {
    const manager = this.manager.host.name;
    const serverHosts = [...new Set(desired.map((d) => d.host))];
    if (this.manager.files && this.manager.dialUnix) return this.lockThroughApi(serverHosts, opts);
    // Read-only, one exec per node, side by side with the lock: preflight needs them only if
    // something changes, but waiting for them then would cost a round trip.
    const nodes = this.checkImages(serverHosts.filter((h) => h !== manager));
    // The manager holds the whole Swarm's state: one lock there serialises every apply. A dry
    // run takes none but reads the same.
    const locked = await traced('swarm lock+observe', () =>
      lockAndRun(new Map([[manager, this.manager]]), this.ensemble.name, { command: opts.command, forceUnlock: opts.forceUnlock, lock: !opts.dryRun }, () => [
        ...observeCommands(this.stack.stack),
        { name: 'detach', argv: stackDeployDetaches() },
        ...(serverHosts.includes(manager) ? [{ name: 'image', argv: imageId(this.ensemble.image) }] : []),
      ]),
    );
    const found = locked.byHost.get(manager)?.results;
    this.found = found;
    // the lock's exec is the manager's; every other node keeps its own execs
    this.run = (host, argv) => (host === manager ? locked.run(host, argv) : this.sessions.get(host)!.run(argv));
    const detach = found?.get('detach');
    if (detach !== undefined) this.detach = detach.code === 0;
    const managerImage = found?.get('image');
    this.images = nodes.then((m) => (managerImage ? new Map([...m, [manager, managerImage]]) : m));
    return { release: async () => locked.lock?.release() };
  }

  /**
   * The lock over SFTP and the first reading through the manager's Engine API: no process starts
   * on the manager, so an apply that changes nothing starts none there. Later manager commands
   * (labels, stack deploys) share one exec, opened when the first of them runs.
   */
  private async lockThroughApi(serverHosts: readonly string[], opts: LockOptions): Promise<HeldLock> {
    const manager = this.manager.host.name;
    // Read-only, side by side with the lock: preflight needs them only if something changes.
    this.images = this.checkImages(serverHosts);
    const lock = await traced('swarm lock+observe', async () => {
      const api = this.engineApi();
      const held = opts.dryRun ? undefined : await lockOverSftp(this.manager, this.ensemble.name, opts);
      try {
        const client = await api;
        if (client) this.found = await readThroughApi(client, this.stack.stack);
      } catch (err) {
        await held?.release();
        throw err;
      }
      return held;
    });
    type Shell = Awaited<ReturnType<typeof heldShell>>;
    let shell: Promise<Shell> | undefined;
    const own: Shell = { run: (argv) => this.manager.run(argv), release: async () => {} };
    const open = () => (shell ??= heldShell(this.manager).catch(() => own));
    // Only an apply that will deploy opens it early (see observeNow): a no-op never starts it.
    if (!opts.dryRun) this.openShell = () => void open();
    this.run = (host, argv) => (host === manager ? open().then((x) => x.run(argv)) : this.sessions.get(host)!.run(argv));
    return {
      release: async () => {
        await Promise.allSettled([lock?.release(), shell?.then((x) => x.release())]);
      },
    };
  }

  /** The manager's Engine API over its SSH connection, found once; undefined where it cannot be reached that way. */
  private engineApi(): Promise<EngineClient | undefined> {
    if (!this.manager.files || !this.manager.dialUnix) return Promise.resolve(undefined);
    this.api ??= engineFor(this.manager).then((a) => a.client, () => undefined);
    return this.api;
  }

  async observe(desired: readonly DesiredServer[]): Promise<Map<number, ObservedServer>> {
    const observing = this.observeNow(desired);
    this.observing = observing.catch(() => undefined);
    return observing;
  }

  private async observeNow(desired: readonly DesiredServer[]): Promise<Map<number, ObservedServer>> {
    const { swarm, stack: found } = await this.read();
    this.swarm = swarm;
    if (found === undefined) {
      // preflight says why; there is nothing to observe without a manager
      this.stale = [];
      this.observed = new Map(desired.map((d) => [d.serverId, { exists: false, running: false }]));
      return new Map(this.observed);
    }
    this.stale = found.stale;
    // Something to deploy: the manager's login shell starts while the servers are probed and the
    // preflight runs, not when the first label or stack deploy needs it.
    if (found.stale.length > 0 || desired.some((d) => found.byServer.get(d.serverId)?.configHash !== d.configHash)) this.openShell?.();
    const observed = new Map<number, ObservedServer>(
      desired.map((d) => {
        const s = found.byServer.get(d.serverId);
        if (!s?.exists) return [d.serverId, { exists: false, running: false }];
        const status = s.taskState === undefined ? 'no task' : `${s.taskState}${s.taskError ? `: ${s.taskError}` : ''}`;
        return [d.serverId, { exists: true, running: s.running, status, ...(s.configHash !== undefined ? { configHash: s.configHash } : {}), ...(s.runningOn !== undefined ? { runningOn: s.runningOn } : {}), ...(s.securityPhase !== undefined ? { securityPhase: s.securityPhase } : {}) }];
      }),
    );
    this.observed = observed;
    return new Map([...observed].map(([id, o]) => [id, { ...o }]));
  }

  async preflight(desired: readonly DesiredServer[], _observed: ReadonlyMap<number, ObservedServer>): Promise<HostChecks[]> {
    const swarm = this.swarm ?? (await this.read()).swarm;
    const managerChecks: Check[] = [];
    const check = (into: Check[], name: string, ok: boolean, detail: string) => into.push({ name, ok, detail });
    const ready = swarm.active && swarm.isManager && swarm.error === undefined;
    check(managerChecks, 'swarm', ready, swarm.error ?? (!swarm.active ? 'this engine is not part of an active Swarm' : !swarm.isManager ? 'this engine is a Swarm worker, not a manager' : `active, ${swarm.nodes.length} nodes`));
    if (ready) {
      check(managerChecks, 'nodes', swarm.nodeProblems.length === 0, swarm.nodeProblems.length ? swarm.nodeProblems.join('; ') : `every inventory host is a ready node (${[...swarm.matched].map(([h, n]) => `${h}=${n.hostname}`).join(', ')})`);
      const labels = planLabels(this.ensemble, this.inventory.hosts, swarm.nodes, swarm.matched);
      if (labels.problems.length > 0) check(managerChecks, 'labels', false, labels.problems.join('; '));
    }
    const results: HostChecks[] = [{ host: this.manager.host.name, ok: managerChecks.every((c) => c.ok), checks: managerChecks }];
    // Nodes run only the images they have (zkplan deploys with --resolve-image never).
    const serverHosts = [...new Set(desired.map((d) => d.host))];
    const checked = await (this.images ?? this.checkImages(serverHosts));
    const images = serverHosts.map((h) => ({ h, r: checked.get(h) ?? { code: 1, stdout: '', stderr: 'not checked' } }));
    for (const { h, r } of images) {
      const c: Check = { name: 'image', ok: r.code === 0, detail: r.code === 0 ? `${h} has ${this.ensemble.image}` : `${h} does not have ${this.ensemble.image} (nodes run only images they have: zkplan deploys with --resolve-image never)` };
      const entry = results.find((x) => x.host === h);
      if (entry) {
        entry.checks.push(c);
        entry.ok &&= c.ok;
      } else results.push({ host: h, ok: c.ok, checks: [c] });
    }
    return results;
  }

  members(desired: readonly DesiredServer[], observed: ReadonlyMap<number, ObservedServer>): Member[] {
    return desired.map((d) => {
      const o = observed.get(d.serverId);
      // Until its step, a server runs where it ran before: verify it there.
      const at = o?.running && o.runningOn !== undefined ? this.sessions.get(o.runningOn) : undefined;
      const server = this.serverPlan(d.serverId);
      return { id: d.serverId, role: d.role, address: at?.host.address ?? server.host.address, port: server.ports.client };
    });
  }

  async prepare(_servers: readonly DesiredServer[], desired: readonly DesiredServer[]): Promise<void> {
    if (!this.recorded) {
      // The record of what the ensemble should be, beside the step files.
      await this.manager.putFiles([{ path: `${stackDir(this.manager, this.ensemble.name)}/docker-stack.yml`, content: this.stack.content, mode: 0o600 }]);
      this.recorded = true;
    }
    // The Docker secrets the services will mount exist before any of them is deployed.
    const material = this.opts.material;
    if (material) for (const name of await this.secrets.ensure(secretsWanted(desired, material))) this.progress.step(this.manager.host.name, 'secret', 'ok', `${name} created`);
    await this.relabel(labelsUpfront(this.labelChanges(), movingServers(desired, this.observed)));
  }

  async create(server: DesiredServer): Promise<void> {
    // Servers created side by side (a fresh ensemble) have nothing running to roll: one stack
    // file holding them all, deployed once, instead of one `docker stack deploy` each.
    this.creating.push(this.stackService(server));
    if (this.createDeploy === undefined) {
      this.createDeploy = new Promise((resolve) => setImmediate(resolve)).then(() => {
        const keys = this.creating.map((s) => s.key);
        this.creating = [];
        this.createDeploy = undefined;
        return this.deployFile(`${stackDir(this.manager, this.ensemble.name)}/step-${keys.join('_')}.yml`, this.stack.subset(keys), false);
      });
    }
    await this.createDeploy;
    this.progress.step(this.manager.host.name, 'update', 'ok', server.name);
    await this.waitRunning(server);
  }

  async replace(server: DesiredServer, observed: ObservedServer): Promise<void> {
    const moves = labelsOfStep(this.labelChanges(), server.serverId);
    const elsewhere = observed.running && observed.runningOn !== undefined && observed.runningOn !== server.host;
    if (moves.length > 0 || elsewhere) {
      // A relabelled node would make Swarm reschedule the old task with the old configuration:
      // stop it first, move the labels, then deploy the new one.
      await this.managerRun(scaleService(server.name, 0));
      const was = observed.runningOn === undefined ? undefined : this.sessions.get(observed.runningOn);
      if (was) await this.waitUntil(`${server.name} still running on ${was.host.name} after scaling it to 0`, async () => !(await this.runsOn(was.host.name, server.name)));
      await this.relabel(moves);
    }
    await this.deploy(server);
  }

  async start(server: DesiredServer): Promise<void> {
    // The service exists with this configuration but runs no task (scaled to 0 by a move that
    // was interrupted, or failing): its stack file sets one replica again.
    await this.relabel(labelsOfStep(this.labelChanges(), server.serverId));
    await this.deploy(server);
  }

  /** Changes what runs only when it removes stale services (labels and secrets it touches move no server). */
  async finish(desired: readonly DesiredServer[]): Promise<boolean> {
    // Labels that move no server and no step needed (a marker missing, a label of a host that runs nothing).
    await this.relabel(this.labelChanges());
    // Secrets of replaced material (or of security turned off) once no service uses them.
    if (this.opts.material) {
      const keep = new Set(desired.flatMap((d) => (d.spec.secrets ?? []).map((x) => x.name)));
      for (const name of await this.secrets.prune(keep)) this.progress.step(this.manager.host.name, 'secret', 'ok', `${name} removed (no longer used)`);
    }
    if (this.stale.length === 0) return false;
    await this.deployFile(`${stackDir(this.manager, this.ensemble.name)}/docker-stack.yml`, this.stack.content, true);
    for (const s of this.stale) this.progress.step(this.manager.host.name, 'remove', 'ok', `${s} (no longer in the plan)`);
    this.pruned.push(...this.stale);
    this.stale = [];
    return true;
  }

  async report(): Promise<SwarmReport> {
    return { manager: this.manager.host.name, labels: [...this.labelled], pruned: [...this.pruned] };
  }

  async remove(server: DesiredServer): Promise<void> {
    await this.managerRun(removeService(server.name));
    // `docker service rm` returns before the node stopped the container.
    await this.waitUntil(`containers of ${server.name} still present`, async () => {
      const left = await Promise.all([...this.sessions.keys()].map(async (node) => (await this.checked(node, serviceContainers(server.name))).stdout.trim()));
      return left.every((l) => l === '');
    });
  }

  async teardown(_desired: readonly DesiredServer[], opts: { purgeData: boolean }): Promise<void> {
    const swarm = this.swarm ?? (await this.read()).swarm;
    if (!swarm.active || !swarm.isManager) throw new OperationalError(`${this.manager.host.name} is not a manager of an active Swarm${swarm.error ? `: ${swarm.error}` : ''}; nothing was removed`);
    // What is left of the stack (its network, services the plan no longer has), then labels.
    await this.managerRun(removeStack(this.stack.stack));
    this.progress.step(this.manager.host.name, 'remove', 'ok', `stack ${this.stack.stack}`);
    // Volumes cannot be removed while a container still uses them.
    await Promise.all(
      [...this.sessions.keys()].map((node) =>
        this.waitUntil(`${node}: containers of stack ${this.stack.stack} still present`, async () => (await this.checked(node, stackContainers(this.stack.stack))).stdout.trim() === ''),
      ),
    );
    if (this.ensemble.security) for (const name of await this.secrets.removeAll()) this.progress.step(this.manager.host.name, 'secret', 'ok', `${name} removed`);
    const marker = markerLabel(this.ensemble.name);
    await this.relabel(
      swarm.nodes.flatMap((node) => {
        const pin = node.labels[marker];
        return pin === undefined ? [] : [{ node, add: {}, remove: [marker, ...(node.labels[pin] !== undefined ? [pin] : [])], values: [] }];
      }),
    );
    await this.managerRun(removePaths([stackDir(this.manager, this.ensemble.name)]));
    if (!opts.purgeData) return;
    const names = this.stack.services.flatMap((s) => s.volumes);
    // A server may have run on any node (moves leave its old volume behind): purge on all.
    await Promise.all(
      [...this.sessions.keys()].map(async (node) => {
        const present = (await this.checked(node, existingVolumes(names))).stdout.split('\n').filter((v) => v.trim() !== '');
        if (present.length === 0) return;
        await this.checked(node, removeVolumes(present));
        this.progress.step(node, 'purge', 'ok', present.join(' '));
      }),
    );
  }

  async logsTail(server: DesiredServer, lines: number): Promise<string> {
    // The tasks say why Swarm stopped or rejected one; the logs what the server said.
    const manager = this.manager.host.name;
    const [tasks, logs] = await Promise.all([this.run(manager, serviceTasks(server.name)), this.run(manager, serviceLogsTail(server.name, lines))]);
    const taskLines = tasks.code === 0 ? tasks.stdout.trim().split('\n').slice(0, 5).map((l) => `task ${l}`) : [];
    return [...taskLines, ...(logs.code === 0 ? [`${logs.stdout}${logs.stderr}`.trim()] : [])].filter((l) => l !== '').join('\n');
  }

  async unexpected(desired: readonly DesiredServer[]): Promise<string[]> {
    // status asks while it observes: the stale services come with that observation
    await (this.observing ?? this.observe(desired));
    return [...this.stale];
  }

  /** What status adds for a Swarm: node problems and node labels out of place (after observe). */
  swarmProblems(): string[] {
    const swarm = this.swarm;
    if (swarm === undefined) return [];
    if (!swarm.active || !swarm.isManager || swarm.error !== undefined) return [`${this.manager.host.name}: ${swarm.error ?? (!swarm.active ? 'not part of an active Swarm' : 'a worker, not a manager')}`];
    const labels = planLabels(this.ensemble, this.inventory.hosts, swarm.nodes, swarm.matched);
    return [
      ...swarm.nodeProblems,
      ...labels.problems,
      ...labels.changes.map((c) => `node ${c.node.hostname}: labels differ from the inventory (apply would ${[...Object.entries(c.add).map(([k, v]) => `add ${k}=${v}`), ...c.remove.map((k) => `remove ${k}`)].join(', ')})`),
    ];
  }

  /** Where each server's task runs, by the last observation. */
  runningOn(serverId: number): string | undefined {
    return this.observed.get(serverId)?.runningOn;
  }

  /** Node label changes made so far (apply, destroy). */
  get labelsChanged(): readonly string[] {
    return this.labelled;
  }

  /** The node label changes still to make, from the last observation. */
  labelChanges(): LabelChange[] {
    const swarm = this.swarm;
    if (swarm === undefined) return [];
    const done = new Set(this.labelled);
    return planLabels(this.ensemble, this.inventory.hosts, swarm.nodes, swarm.matched).changes.filter((c) => !done.has(describeLabels(c)));
  }

  private serverPlan(id: number) {
    const s = this.ensemble.servers.find((x) => x.id === id);
    if (!s) throw new Error(`internal error: ensemble ${this.ensemble.name} has no server ${id}`);
    return s;
  }

  private stackService(server: DesiredServer): StackService {
    const s = this.stack.services.find((x) => x.serverId === server.serverId);
    if (!s) throw new Error(`internal error: stack ${this.stack.stack} has no service for server ${server.serverId}`);
    return s;
  }

  /** Node label changes, side by side in one exec on the manager (each updates another node). */
  private async relabel(changes: readonly LabelChange[]): Promise<void> {
    if (changes.length === 0) return;
    const manager = this.manager.host.name;
    const commands = changes.map((c, i) => ({ name: `label${i}`, argv: updateNodeLabels(c.node.id, c.add, c.remove) }));
    // Through the manager's API where it is reached (no docker CLI: the exec only deploys), else one batch.
    const api = await this.engineApi();
    const results = await traced('swarm labels', async () =>
      api ? new Map<string, RunResult>(await Promise.all(changes.map(async (c, i) => [`label${i}`, await updateNodeLabelsThroughApi(api, c.node.id, c.add, c.remove)] as const))) : this.managerBatch(commands),
    );
    // every change that was made is reported, also when another one failed
    const failed = commands.filter((c) => results.get(c.name)?.code !== 0);
    changes.forEach((c, i) => {
      if (results.get(`label${i}`)?.code !== 0) return;
      this.progress.step(manager, 'label', 'ok', describeLabels(c));
      this.labelled.push(describeLabels(c));
    });
    for (const c of failed) checkResult(manager, c.argv, results.get(c.name) ?? { code: 1, stdout: '', stderr: 'did not run' });
  }

  /** Deploys the stack file of this one server, then waits for its new task on the planned node. */
  private async deploy(server: DesiredServer): Promise<void> {
    const s = this.stackService(server);
    await this.deployFile(`${stackDir(this.manager, this.ensemble.name)}/step-${s.key}.yml`, this.stack.subset([s.key]), false);
    this.progress.step(this.manager.host.name, 'update', 'ok', server.name);
    await this.waitRunning(server);
  }

  /** Waits until the server's task with its new configuration runs on the planned node. */
  private async waitRunning(server: DesiredServer): Promise<void> {
    const started = Date.now();
    try {
      await this.waitUntil(`${server.name}: no task with configuration ${server.configHash} running on ${server.host}`, () =>
        this.runsOn(server.host, server.name, { key: LABEL_HASH, value: server.configHash }).catch(() => false),
      );
    } catch (e) {
      const tasks = await this.run(this.manager.host.name, serviceTasks(server.name));
      throw new OperationalError(`${(e as Error).message}${tasks.code === 0 ? `\n  ${tasks.stdout.trim().split('\n').slice(0, 5).join('\n  ')}` : ''}`);
    }
    this.progress.step(server.host, 'running', 'ok', `${server.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }

  private deployFile(file: string, content: string, prune: boolean): Promise<void> {
    const run = async () => {
      await traced('swarm deploy', async () => {
        await this.manager.putFiles([{ path: file, content, mode: 0o600 }]);
        await this.managerRun(deployStack(file, this.stack.stack, prune, this.detach));
      });
    };
    const next = this.deploying.then(run, run);
    this.deploying = next.catch(() => undefined);
    return next;
  }

  /** The Swarm and the stack as the manager sees them now: the lock's reading first, then one batch each time. */
  private async read(): Promise<Observation> {
    const found = this.found;
    this.found = undefined;
    const results =
      found ??
      (await traced('swarm observe', async () => {
        const api = await this.engineApi();
        return api ? readThroughApi(api, this.stack.stack) : this.managerBatch(observeCommands(this.stack.stack));
      }));
    return readObservation(results, this.manager.host.name, this.inventory, this.ensemble, this.stack);
  }

  /** Several manager commands in one exec (through the held one when the lock is taken). */
  private async managerBatch(commands: readonly BatchCommand[]): Promise<Map<string, RunResult>> {
    const manager = this.manager.host.name;
    const script = batchScript(commands);
    const r = await this.run(manager, script.argv);
    if (!r.stdout.includes(script.marker)) {
      throw new OperationalError(`${manager}: batched commands did not run (exit ${r.code}): ${r.stderr.trim().split('\n')[0] ?? ''}`);
    }
    return parseBatch(script, commands, r.stdout);
  }

  private managerRun(argv: readonly string[]): Promise<RunResult> {
    return this.checked(this.manager.host.name, argv);
  }

  private async checked(host: string, argv: readonly string[]): Promise<RunResult> {
    return checkResult(host, argv, await this.run(host, argv));
  }

  /** Whether each host has the ensemble's image, through its Engine API where it can (else one exec), side by side; never rejects. */
  private checkImages(hosts: readonly string[]): Promise<Map<string, RunResult>> {
    return Promise.all(
      hosts.map(async (h) => {
        const r = await this.imageOn(h).catch((e: Error): RunResult => ({ code: 255, stdout: '', stderr: e.message }));
        return [h, r] as const;
      }),
    ).then((entries) => new Map(entries));
  }

  private async imageOn(host: string): Promise<RunResult> {
    const api = await this.nodeApi(host);
    return api ? imageThroughApi(api, this.ensemble.image) : this.sessions.get(host)!.run(imageId(this.ensemble.image));
  }

  /** A node's Engine API over its SSH connection, found once; undefined where it cannot be reached that way. */
  private nodeApi(host: string): Promise<EngineClient | undefined> {
    const session = this.sessions.get(host)!;
    if (session === this.manager) return this.engineApi();
    let api = this.nodeApis.get(host);
    if (api === undefined) {
      api = session.files && session.dialUnix ? engineFor(session).then((a) => a.client, () => undefined) : Promise.resolve(undefined);
      this.nodeApis.set(host, api);
    }
    return api;
  }

  /**
   * Whether a container of the service (with the label, when given) runs on the node. Polled
   * while servers start, so through the node's Engine API: an exec per poll would start a login
   * shell and a docker CLI on a node whose JVM is starting (about 0.4 s of CPU each).
   */
  private async runsOn(host: string, service: string, label?: { key: string; value: string }): Promise<boolean> {
    const api = await this.nodeApi(host);
    if (!api) return (await this.checked(host, runningServiceContainers(service, label))).stdout.trim() !== '';
    const listed = await api.json<unknown[]>(listRunningByLabelsRequest([`com.docker.swarm.service.name=${service}`, ...(label ? [`${label.key}=${label.value}`] : [])]));
    return (listed ?? []).length > 0;
  }

  /** Polls until `done`, for at most the apply's timeout; then fails saying what did not happen. */
  private async waitUntil(what: string, done: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + this.opts.timeoutMs;
    for (;;) {
      if (await done()) return;
      if (Date.now() > deadline) throw new OperationalError(`${what} after ${Math.round(this.opts.timeoutMs / 1000)} s`);
      await sleep(POLL_MS);
    }
  }
}
