// The one reading of `docker container inspect`, for every driver that runs plain containers
// (host over SSH, the local engine): what exists, whether it runs and stays up, what it runs,
// and zkplan's labels. Pure: the input is the command's result.
import { OperationalError } from '../common/problems.js';
import type { ObservedServer } from '../engine/driver.js';
import type { RunResult } from '../remote/session.js';
import { LABEL_PORTS } from '../rollout/desired.js';
import { LABEL_HASH, LABEL_SECURITY_PHASE } from '../rollout/spec.js';

export interface DockerInspect {
  Name: string;
  State: { Running: boolean; Status: string; ExitCode: number };
  RestartCount?: number;
  Config: { Image: string; Env: string[] | null; Labels: Record<string, string> | null };
  HostConfig?: { PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null };
}

export interface InspectedContainer {
  observed: ObservedServer;
  labels: Record<string, string>;
}

/**
 * Containers by name (without Docker's leading `/`). `docker container inspect a b` exits 1
 * when some names do not exist and still prints the ones that do; any other failure throws,
 * naming `where`.
 */
export function parseContainerInspect(result: RunResult, where: string): Map<string, InspectedContainer> {
  if (result.code !== 0 && !/No such (container|object)/i.test(result.stderr)) {
    throw new OperationalError(`${where}: docker container inspect failed: ${result.stderr.trim() || `exit code ${result.code}`}`);
  }
  return inspectedContainers(result.stdout.trim().startsWith('[') ? JSON.parse(result.stdout) : []);
}

/** The same reading of the Engine API's container inspect answers (GET /containers/{name}/json). */
export function inspectedContainers(found: readonly DockerInspect[]): Map<string, InspectedContainer> {
  return new Map(
    found.map((info) => {
      const labels = info.Config.Labels ?? {};
      const ports = labels[LABEL_PORTS] !== undefined ? labels[LABEL_PORTS].split(',').filter(Boolean).map(Number) : undefined;
      const clientPort = ports?.[0] ?? publishedPort(info);
      const observed: ObservedServer = {
        exists: true,
        running: info.State.Running,
        status: info.State.Status,
        restartCount: info.RestartCount ?? 0,
        exitCode: info.State.ExitCode,
        image: info.Config.Image,
        env: info.Config.Env ?? [],
        ...(labels[LABEL_HASH] ? { configHash: labels[LABEL_HASH] } : {}),
        ...(labels[LABEL_SECURITY_PHASE] !== undefined ? { securityPhase: labels[LABEL_SECURITY_PHASE] } : {}),
        ...(ports ? { ports } : {}),
        ...(clientPort !== undefined ? { clientPort } : {}),
      };
      return [info.Name.replace(/^\//, ''), { observed, labels }];
    }),
  );
}

/**
 * The one host port a container publishes: zkplan publishes only the client port (single-host
 * networks). Under host networking the io.zkplan.ports label says it instead, client port first.
 */
function publishedPort(info: DockerInspect): number | undefined {
  const bindings = Object.values(info.HostConfig?.PortBindings ?? {}).flatMap((b) => b ?? []);
  const ports = [...new Set(bindings.map((b) => Number(b.HostPort)).filter((p) => Number.isInteger(p) && p > 0))];
  return ports.length === 1 ? ports[0] : undefined;
}

/** What a name that inspect did not find is (a new object: the engine adds modes to it). */
export function missing(): ObservedServer {
  return { exists: false, running: false };
}
