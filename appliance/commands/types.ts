// The shape of a CLI command: appliance/cli.ts lists them; adding a command = a file here + one line in cli.ts.

export interface Command {
  readonly name: string;
  /** One line for `otwatch --help`. */
  readonly summary: string;
  /** Full usage text for `otwatch <command> --help`. */
  readonly usage: string;
  /** Runs with the arguments after the command name; resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}

/** Thrown for bad command lines: the CLI prints the message and the command's usage, exit code 2. */
export class UsageError extends Error {}
