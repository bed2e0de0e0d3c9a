// Node label changes through the manager's Engine API (`docker node update --label-add/--label-rm`
// without the docker CLI): read the node's spec and version, write the spec back with the labels
// changed. The manager refuses an update made from a stale version (another update came in
// between): read and write again, a few times.
import { engineMessage, type EngineClient } from '../../remote/engine-client.js';
import { inspectNodeRequest, updateNodeRequest } from '../../remote/commands/engine.js';
import type { RunResult } from '../../remote/session.js';

interface NodeSpec {
  Labels?: Record<string, string> | null;
  [key: string]: unknown;
}

/** The spec with `add` set and `remove` gone; everything else as it was. */
export function relabelledSpec(spec: NodeSpec, add: Readonly<Record<string, string>>, remove: readonly string[]): NodeSpec {
  const labels: Record<string, string> = { ...(spec.Labels ?? {}) };
  for (const k of remove) delete labels[k];
  return { ...spec, Labels: { ...labels, ...add } };
}

const ATTEMPTS = 3;

/** The change as `docker node update` would report it: exit 0, or 1 with the manager's message. */
export async function updateNodeLabelsThroughApi(engine: EngineClient, id: string, add: Readonly<Record<string, string>>, remove: readonly string[]): Promise<RunResult> {
  let last = '';
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      const node = await engine.json<{ Version: { Index: number }; Spec: NodeSpec }>(inspectNodeRequest(id));
      if (!node) return { code: 1, stdout: '', stderr: `node ${id}: no answer` };
      const r = await engine.send(updateNodeRequest(id, node.Version.Index, relabelledSpec(node.Spec, add, remove)));
      if (r.status >= 200 && r.status < 300) return { code: 0, stdout: '', stderr: '' };
      last = `${r.status} ${engineMessage(r.body)}`;
      if (!/out of sequence/i.test(last)) break;
    } catch (err) {
      last = (err as Error).message;
      break;
    }
  }
  return { code: 1, stdout: '', stderr: last };
}
