// The one place in zkplan that turns values into POSIX shell words. Everything that
// reaches a shell (remote commands over SSH, rendered run scripts) goes through here.

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one value so that a POSIX shell reads it back as exactly one word, byte for byte. */
export function shellQuote(value: string): string {
  if (value !== '' && SAFE_WORD.test(value)) return value;
  // Inside single quotes nothing is special except the closing quote itself.
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Join an argv array into one shell command line; each element stays one word. */
export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('shellCommand: empty argv');
  return argv.map(shellQuote).join(' ');
}
