// Where a server's data goes when zkplan must not reuse it: moved aside beside itself under a
// name that says when and why, deleted only on request (`--purge-data`). Pure: the time is given.

export type AsideReason = 'removed' | 'stale';

/**
 * `.removed-20261129T144100Z-server4`: a server that left the membership;
 * `.stale-…`: what an earlier member with a joining server's id left behind.
 */
export function asideSuffix(at: Date, serverId: number, why: AsideReason): string {
  const stamp = at.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
  return `.${why}-${stamp}-server${serverId}`;
}
