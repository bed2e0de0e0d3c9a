// The one place in zkplan that turns values into POSIX shell words. Everything that
// reaches a shell (remote commands over SSH, rendered run scripts) goes through here.

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

// Unquoted, these change meaning in command position: `FOO=x` becomes an assignment and a
// reserved word starts a compound command instead of running a program of that name.
const RESERVED_WORDS = new Set([
  '!', '{', '}', 'case', 'do', 'done', 'elif', 'else', 'esac', 'fi', 'for', 'function', 'if', 'in',
  'select', 'then', 'time', 'until', 'while',
]);

/** Quote one value so that a POSIX shell reads it back as exactly one word, byte for byte. */
export function shellQuote(value: string): string {
  // A NUL cannot survive exec(2) or a shell; failing here beats silently truncating an argument.
  if (value.includes('\0')) throw new Error('shellQuote: value contains a NUL byte');
  if (value !== '' && SAFE_WORD.test(value)) return value;
  // Inside single quotes nothing is special except the closing quote itself.
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function quoteCommandName(value: string): string {
  if (value.includes('=') || RESERVED_WORDS.has(value)) return `'${value.replace(/'/g, `'\\''`)}'`;
  return shellQuote(value);
}

/** Join an argv array into one shell command line; each element stays one word. */
export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('shellCommand: empty argv');
  const [name, ...args] = argv as [string, ...string[]];
  return [quoteCommandName(name), ...args.map(shellQuote)].join(' ');
}
