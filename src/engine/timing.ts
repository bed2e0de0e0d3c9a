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

export const REAL_TIMING: Timing = { pollMs: 100, probeTimeoutMs: 2000, requestTimeoutMs: 1000, settleRoundMs: 3000 };
