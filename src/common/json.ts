// The --json output of every command: indented, one trailing newline. ZooKeeper zxids are
// 64-bit, held as bigint, which JSON.stringify refuses: they print as hex, as ZooKeeper does.

export function jsonText(value: unknown): string {
  // Without a replacer JSON.stringify is several times faster (a 10,000-host plan is tens of MB);
  // it throws on the first bigint, and only output that holds one pays for the replacer.
  try {
    return `${JSON.stringify(value, null, 2)}\n`;
  } catch (e) {
    if (!(e instanceof TypeError && /BigInt/i.test(e.message))) throw e;
    return `${JSON.stringify(value, bigintAsHex, 2)}\n`;
  }
}

function bigintAsHex(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `0x${value.toString(16)}` : value;
}
