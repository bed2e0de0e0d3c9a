// A secured ensemble's key material and passwords as Docker secrets, made on the manager through
// its Engine API over the SSH connection: the value travels in a request body, never on a command
// line, in a file on the manager or in zkplan's output. Secrets are immutable: new material gets
// new names (a digest of the content, src/rollout/swarm-secrets.ts), the services are updated to
// them one at a time by the engine, and the old ones are removed once nothing uses them. Every
// secret carries the ensemble's label and the stack's namespace, so destroy (and a hand-run
// `docker stack rm`) removes them.
import { OperationalError } from '../../common/problems.js';
import type { DesiredServer } from '../../engine/driver.js';
import type { EngineClient } from '../../remote/engine-client.js';
import { createSecretRequest, listSecretsRequest, removeSecretRequest } from '../../remote/commands/engine.js';
import type { HostSession } from '../../remote/session.js';
import { LABEL_ENSEMBLE } from '../../rollout/spec.js';
import type { SwarmSpecSecrets } from '../../rollout/swarm-secrets.js';
import type { EnsembleMaterial } from '../../security/material.js';
import { engineFor } from '../host/engine-address.js';

/** The label `docker stack deploy` puts on what belongs to a stack (and `docker stack rm` removes). */
const STACK_NAMESPACE = 'com.docker.stack.namespace';

interface SecretListed {
  ID: string;
  Spec: { Name: string };
}

/** The digests and fingerprints the Swarm specs take from the material. */
export function specSecretsOf(material: EnsembleMaterial): SwarmSpecSecrets {
  const server = (name: string) => {
    const m = material.servers.get(name);
    if (!m) throw new Error(`internal error: no key material for server ${name}`);
    return m;
  };
  return {
    digestOf: (name, file) => {
      const f = server(name).files.find((x) => x.name === file);
      if (!f) throw new Error(`internal error: server ${name} has no secret file ${file}`);
      return f.digest;
    },
    fingerprintOf: (name) => server(name).fingerprint,
  };
}

/** Each secret the servers' specs mount, once, with the content of the file it holds. */
export function secretsWanted(servers: readonly DesiredServer[], material: EnsembleMaterial): { name: string; content: Buffer }[] {
  const wanted = new Map<string, Buffer>();
  for (const d of servers) {
    const files = material.servers.get(d.spec.name)?.files ?? [];
    for (const s of d.spec.secrets ?? []) {
      const file = files.find((f) => s.target.endsWith(`/${f.name}`));
      if (!file) throw new Error(`internal error: server ${d.spec.name} mounts ${s.target}, which its key material lacks`);
      wanted.set(s.name, file.content);
    }
  }
  return [...wanted].map(([name, content]) => ({ name, content }));
}

export class SwarmSecrets {
  private client: Promise<EngineClient> | undefined;
  /** names known to exist (listed once, then what was made) */
  private existing: Map<string, string> | undefined;

  constructor(
    private readonly manager: HostSession,
    private readonly ensemble: string,
  ) {}

  /** Makes the secrets that do not exist yet; returns the names made. */
  async ensure(wanted: readonly { name: string; content: Buffer }[]): Promise<string[]> {
    const existing = await this.list();
    const missing = wanted.filter((w) => !existing.has(w.name));
    const client = await this.engine();
    await Promise.all(
      missing.map(async (w) => {
        const req = createSecretRequest(w.name, { [LABEL_ENSEMBLE]: this.ensemble, [STACK_NAMESPACE]: this.ensemble }, w.content);
        const r = await client.send(req);
        // 409: made meanwhile (an earlier, interrupted run); its name says its content is the same
        if (r.status === 409) return;
        if (r.status < 200 || r.status >= 300) throw client.failure(req, r);
        const made = JSON.parse(r.body.toString('utf8')) as { ID: string };
        existing.set(w.name, made.ID);
      }),
    );
    return missing.map((w) => w.name);
  }

  /**
   * Removes the ensemble's secrets not in `keep`. One a service still uses (a step that failed
   * left it on the old material) is kept for a later apply; returns the names removed.
   */
  async prune(keep: ReadonlySet<string>): Promise<string[]> {
    const existing = await this.list(true);
    const client = await this.engine();
    const removed: string[] = [];
    await Promise.all(
      [...existing].filter(([name]) => !keep.has(name)).map(async ([name, id]) => {
        const r = await client.send(removeSecretRequest(id));
        if ((r.status >= 200 && r.status < 300) || r.status === 404) {
          existing.delete(name);
          removed.push(name);
        }
      }),
    );
    return removed.sort();
  }

  /** Removes every secret of the ensemble (destroy: after its services are gone). */
  async removeAll(): Promise<string[]> {
    const removed = await this.prune(new Set());
    const left = [...(await this.list(true)).keys()];
    if (left.length > 0) throw new OperationalError(`${this.manager.host.name}: Docker secrets of ensemble ${this.ensemble} still in use, not removed: ${left.join(', ')}`);
    return removed;
  }

  private async list(again = false): Promise<Map<string, string>> {
    if (this.existing && !again) return this.existing;
    const listed = (await (await this.engine()).json<SecretListed[]>(listSecretsRequest(LABEL_ENSEMBLE, this.ensemble))) ?? [];
    this.existing = new Map(listed.map((s) => [s.Spec.Name, s.ID]));
    return this.existing;
  }

  private engine(): Promise<EngineClient> {
    this.client ??= engineFor(this.manager).then((a) => a.client);
    this.client.catch(() => (this.client = undefined));
    return this.client;
  }
}
