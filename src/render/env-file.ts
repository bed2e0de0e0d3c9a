// `.env` next to a compose file: the host address of every server, for `${ZOOKEEPER_k}`.
import type { EnsemblePlan } from '../plan/types.js';
import { ADDRESS } from './check.js';
import { oneLine } from './text.js';
import type { RenderedFile, Templates } from './types.js';

export function hostVariables(ensemble: EnsemblePlan, overrides: Record<string, string>): { key: string; value: string }[] {
  return ensemble.servers.map((s) => {
    const value = overrides[s.variable] ?? s.host.address;
    // .env has no quoting that every reader agrees on: only plain addresses and names go in.
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(s.variable) || !ADDRESS.test(value)) {
      throw new Error(`internal error: ${JSON.stringify(s.variable)}=${JSON.stringify(value)} cannot be written to .env`);
    }
    return { key: s.variable, value };
  });
}

export function renderEnvFile(
  ensemble: EnsemblePlan,
  overrides: Record<string, string>,
  header: string[],
  templates: Templates,
): RenderedFile {
  const content = templates.env({ header: header.map(oneLine), variables: hostVariables(ensemble, overrides) });
  return { path: '.env', content };
}
