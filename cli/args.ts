import { type ParseArgsConfig, parseArgs } from 'node:util';

/** What the CLI stops with: the message it prints and its exit code (1 an error, 2 bad usage, 3 a bad download). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Where the API is and who calls it: GITWEAVE_URL and GITWEAVE_TOKEN, or --url and --token. */
export interface Options {
  url: string;
  token: string;
}

export type OptionTable = NonNullable<ParseArgsConfig['options']>;
type Value = string | boolean | (string | boolean)[] | undefined;

/** A command's answer: printed as `human`, or as `json` with --json; `exitCode` when it is not 0. */
export interface Result {
  json: unknown;
  human: string;
  exitCode?: number;
}

/** One command of the CLI: its lines of the usage, the options it takes beside the global ones, and what it does. */
export interface Command {
  usage: string;
  options?: OptionTable;
  run(context: Context): Promise<Result>;
}

/** The options every command takes. */
const GLOBAL: OptionTable = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h' },
};

/** What a command runs with: the API, its words after the command's name and its options' values. */
export class Context {
  constructor(
    readonly api: Options,
    readonly name: string,
    readonly args: string[],
    private readonly values: Record<string, Value>,
    private readonly usage: string,
  ) {}

  /** --json: the answer as the API sent it */
  get json(): boolean {
    return this.values.json === true;
  }

  string(option: string): string | undefined {
    const value = this.values[option];
    return typeof value === 'string' ? value : undefined;
  }

  strings(option: string): string[] | undefined {
    const value = this.values[option];
    return Array.isArray(value) ? value.map(String) : undefined;
  }

  flag(option: string): boolean {
    return this.values[option] === true;
  }

  /** bad usage (exit 2), with the whole usage after `message` */
  usageError(message: string): CliError {
    return new CliError(`${message}\n\n${this.usage}`, 2);
  }

  /** refuses (exit 2) unless the command was given exactly `count` words, saying it takes `what` */
  need(count: number, what: string): void {
    if (this.args.length !== count) throw this.usageError(`${this.name} takes ${what}`);
  }
}

/**
 * The command line read in two passes: the first, knowing every command's options, finds the command's name; the
 * second reads the line again with only the global options and that command's, so an option another command takes
 * is refused by name instead of ignored. Then GITWEAVE_URL and GITWEAVE_TOKEN (or --url and --token).
 */
export function parse(
  argv: string[],
  commands: Record<string, Command>,
  usage: string,
  version: Command,
): [Command, Context] {
  // --version (or -V), with --json or not, needs no API: it says which CLI this is (notes takes a --version of its own)
  const alone = argv.every((arg) => ['--version', '-V', '--json'].includes(arg));
  if (alone && (argv.includes('--version') || argv.includes('-V'))) {
    return [version, new Context({ url: '', token: '' }, 'version', [], { json: argv.includes('--json') }, usage)];
  }
  const every: OptionTable = { ...GLOBAL };
  for (const command of Object.values(commands)) Object.assign(every, command.options);
  const first = parseArgs({ args: argv, allowPositionals: true, strict: false, options: every });
  const name = first.positionals[0];
  if (first.values.help || name === undefined) throw new CliError(usage, 2);
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) throw new CliError(`unknown command: ${name}\n\n${usage}`, 2);
  let parsed: { values: Record<string, Value>; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { ...GLOBAL, ...command.options } });
  } catch (err) {
    const unknown = /^Unknown option '([^']+)'/.exec((err as Error).message)?.[1];
    const takes = Object.keys(command.options ?? {}).map((option) => `--${option}`);
    const message = unknown
      ? `${name} takes no ${unknown} option (${takes.length ? `it takes ${takes.join(', ')}` : 'it takes none of its own'}, beside --url, --token and --json)`
      : `${name}: ${(err as Error).message}`;
    throw new CliError(`${message}\n\n${usage}`, 2);
  }
  const url = (parsed.values.url as string | undefined) ?? process.env.GITWEAVE_URL;
  const token = (parsed.values.token as string | undefined) ?? process.env.GITWEAVE_TOKEN;
  if (!url) throw new CliError('set GITWEAVE_URL (or --url) to the API, e.g. http://127.0.0.1:3000', 2);
  if (!token) throw new CliError('set GITWEAVE_TOKEN (or --token) to an API token', 2);
  return [command, new Context({ url, token }, name, parsed.positionals.slice(1), parsed.values, usage)];
}

/** Rows as columns padded to their widest cell, two spaces apart. */
export function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
