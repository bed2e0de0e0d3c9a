// The --json output of every command: indented, one trailing newline. ZooKeeper zxids are
// 64-bit, held as bigint, which JSON.stringify refuses: they print as hex, as ZooKeeper does.

export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, bigintAsHex, 2)}\n`;
}

function bigintAsHex(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `0x${value.toString(16)}` : value;
}
