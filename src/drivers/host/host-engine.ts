// One host as the host driver reaches it: its Docker engine's API and its files over SFTP, both
// on the SSH connection already open. No operation here starts a process on the host.
import { LABEL_SERVER } from '../../rollout/desired.js';
import type { ContainerSpec } from '../../rollout/spec.js';
import {
  createContainerRequest,
  infoRequest,
  imageInspectRequest,
  inspectContainerRequest,
  listByLabelRequest,
  logsTailRequest,
  removeContainerRequest,
  restartContainerRequest,
  startContainerRequest,
  versionRequest,
} from '../../remote/commands/engine.js';
import { demuxLogs, engineMessage, type EngineClient } from '../../remote/engine-client.js';
import type { RemoteFiles } from '../../remote/sftp-files.js';
import type { RunResult } from '../../remote/session.js';
import type { ObservedServer } from '../../rollout/rollout.js';
import { inspectedContainers, missing, type DockerInspect } from '../inspect.js';

const NOT_FOUND = 404;
const NOT_MODIFIED = 304;

export class HostEngine {
  constructor(
    readonly host: string,
    readonly engine: EngineClient,
    readonly files: RemoteFiles,
  ) {}

  /** What runs under each name (a container of another server under that name: configHash 'foreign'). */
  async observe(containers: readonly { name: string; serverId: number }[]): Promise<Map<number, ObservedServer>> {
    const found = await Promise.all(containers.map((c) => this.engine.json<DockerInspect>(inspectContainerRequest(c.name), [NOT_FOUND])));
    const byName = inspectedContainers(found.filter((f): f is DockerInspect => f !== undefined && 'Name' in f));
    return new Map(
      containers.map((c) => {
        const info = byName.get(c.name);
        if (!info) return [c.serverId, missing()];
        const foreign = Boolean(info.labels[LABEL_SERVER]) && info.labels[LABEL_SERVER] !== String(c.serverId);
        return [c.serverId, { ...info.observed, ...(foreign ? { configHash: 'foreign' } : {}) }];
      }),
    );
  }

  /**
   * What run.sh's line does for the spec: its host directories (handed to the image's user
   * where it has one), the old container removed with its anonymous volumes, the new one
   * created and started.
   */
  async recreate(spec: ContainerSpec): Promise<void> {
    for (const m of spec.mounts) {
      if (m.kind !== 'bind') continue;
      await this.files.mkdirp(m.source);
      if (m.owner === undefined) continue;
      const st = await this.files.stat(m.source);
      if (st && st.uid !== m.owner) await this.files.chown(m.source, m.owner, st.gid);
    }
    await this.remove(spec.name);
    await this.engine.call(createContainerRequest(spec));
    await this.start(spec.name);
  }

  async start(name: string): Promise<void> {
    await this.engine.call(startContainerRequest(name), [NOT_MODIFIED]);
  }

  async restart(name: string): Promise<void> {
    await this.engine.call(restartContainerRequest(name));
  }

  /** `docker rm -f -v`; a container that is not there is fine. */
  async remove(name: string): Promise<void> {
    await this.engine.call(removeContainerRequest(name), [NOT_FOUND]);
  }

  async logsTail(name: string, lines: number): Promise<string> {
    const r = await this.engine.send(logsTailRequest(name, lines));
    return r.status === 200 ? demuxLogs(r.body) : engineMessage(r.body);
  }

  /** Names of the containers carrying label key=value. */
  async namesWithLabel(key: string, value: string): Promise<string[]> {
    const listed = (await this.engine.json<{ Names?: string[] }[]>(listByLabelRequest(key, value))) ?? [];
    return listed.map((c) => (c.Names?.[0] ?? '').replace(/^\//, '')).filter(Boolean);
  }

  /** Every container carrying label key=value: its name, the server id it runs, whether it runs. */
  async serversWithLabel(key: string, value: string): Promise<{ name: string; serverId: number; running: boolean }[]> {
    const listed = (await this.engine.json<{ Names?: string[]; Labels?: Record<string, string>; State?: string }[]>(listByLabelRequest(key, value))) ?? [];
    return listed.map((c) => ({ name: (c.Names?.[0] ?? '').replace(/^\//, ''), serverId: Number(c.Labels?.[LABEL_SERVER]), running: c.State === 'running' }));
  }

  /** The engine's version, as the docker CLI's `{{.Server.Version}}` (a failure: code 1 with why). */
  async version(): Promise<RunResult> {
    return this.asResult(async () => ((await this.engine.json<{ Version: string }>(versionRequest())) ?? { Version: '?' }).Version);
  }

  /** The host's clock as `date +%s.%N` prints it, from the engine's SystemTime. */
  async clock(): Promise<RunResult> {
    return this.asResult(async () => {
      const info = await this.engine.json<{ SystemTime?: string }>(infoRequest());
      const ms = Date.parse(info?.SystemTime ?? '');
      if (!Number.isFinite(ms)) throw new Error(`no SystemTime in the engine's info`);
      // Date.parse keeps milliseconds; the nanoseconds beyond do not matter to a skew check.
      return (ms / 1000).toFixed(3);
    });
  }

  /** Exit 0 when the image is present, as `docker image inspect`. */
  async imagePresent(image: string): Promise<RunResult> {
    const r = await this.engine.send(imageInspectRequest(image)).catch((err: Error) => ({ status: 0, body: Buffer.from(err.message) }));
    return r.status === 200 ? { code: 0, stdout: '', stderr: '' } : { code: 1, stdout: '', stderr: engineMessage(r.body) };
  }

  private async asResult(work: () => Promise<string>): Promise<RunResult> {
    try {
      return { code: 0, stdout: `${await work()}\n`, stderr: '' };
    } catch (err) {
      return { code: 1, stdout: '', stderr: (err as Error).message };
    }
  }
}
