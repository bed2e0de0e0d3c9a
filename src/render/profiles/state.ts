// Where a server's state lives: the data directory, and the transaction-log directory when it
// is apart from the data (always for the official image, else when the inventory sets
// data_log_dir). Host directories for bind mounts, names for Swarm/engine volumes.
import type { EnsemblePlan, ServerPlan } from '../../plan/types.js';
import type { ImageProfile, Mount, StateDir } from './types.js';

function separateLog(profile: ImageProfile, ensemble: EnsemblePlan): boolean {
  return profile.dataLog.always || ensemble.settings.dataLogDir !== undefined;
}

/** Every directory that must outlive the container, the data directory first. */
export function stateDirs(profile: ImageProfile, ensemble: EnsemblePlan): StateDir[] {
  const data = { name: 'data', target: profile.dataMountTarget };
  return separateLog(profile, ensemble) ? [data, { name: 'datalog', target: profile.dataLog.target }] : [data];
}

/**
 * Bind mounts of a server's host directories. An image that always keeps logs apart gets
 * `data/` and `datalog/` subdirectories of the server's data directory (so that neither is an
 * anonymous volume lost with the container); data_log_dir moves the logs to their own root.
 * Other images keep the data directory itself as before, plus data_log_dir's directory.
 */
export function dataMounts(profile: ImageProfile, server: ServerPlan): Mount[] {
  const root = server.dataDir.replace(/\/+$/, '');
  const log = profile.dataLog.target;
  if (profile.dataLog.always) {
    return [
      { source: `${root}/data`, target: profile.dataMountTarget },
      { source: server.dataLogDir ?? `${root}/datalog`, target: log },
    ];
  }
  const data = { source: server.dataDir, target: profile.dataMountTarget };
  return server.dataLogDir === undefined ? [data] : [data, { source: server.dataLogDir, target: log }];
}
