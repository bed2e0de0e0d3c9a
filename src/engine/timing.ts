// How often and how long the engine polls and waits (tests shrink it).
export interface Timing {
  /** between verification polls */
  pollMs: number;
  /** one four-letter word while probing modes */
  probeTimeoutMs: number;
  /** one four-letter word or ZooKeeper session while verifying */
  requestTimeoutMs: number;
  /** how long one verification round waits before the servers are looked at again */
  settleRoundMs: number;
}

// pollMs: the moment a quorum forms is seen half a poll later on average; a poll is a `srvr`
// per server over channels of connections already open, cheap next to the JVMs it waits for
// (measured: polling every 100 or 400 ms made no difference to how soon 3 servers formed one).
export const REAL_TIMING: Timing = { pollMs: 50, probeTimeoutMs: 2000, requestTimeoutMs: 1000, settleRoundMs: 3000 };
