// One command handler for every source (cloud, technician, local): it validates the arguments,
// carries the command out and leaves an `audit.command` event behind, whatever the outcome.
import { z } from 'zod';
import type { EventData } from '../events/catalogue.js';
import type { CommandOutcome } from '../uplink/frames.js';

export type CommandSource = EventData<'audit.command'>['source'];

export interface Command<A extends z.ZodType = z.ZodType> {
  /** What the command does, for `--help`, docs and the diagnostics page. */
  summary: string;
  args: A;
  run(args: z.output<A>): Promise<unknown> | unknown;
}

/** A refusal the caller can act on; `code` travels to the cloud in `command.result`. */
export class CommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function defineCommand<A extends z.ZodType>(command: Command<A>): Command {
  return command as unknown as Command;
}

export class CommandHandler {
  readonly #commands = new Map<string, Command>();
  readonly #audit: (entry: EventData<'audit.command'>) => void;

  /** `audit` receives one entry per command handled; it must not throw. */
  constructor(audit: (entry: EventData<'audit.command'>) => void) {
    this.#audit = audit;
  }

  register(name: string, command: Command): void {
    this.#commands.set(name, command);
  }

  get names(): string[] {
    return [...this.#commands.keys()].sort();
  }

  /**
   * Runs `name` for `source` (`by`: the technician's account, when one is signed in); never throws:
   * every failure becomes `{ ok: false, error }`.
   */
  async handle(
    source: CommandSource,
    name: string,
    args: Record<string, unknown>,
    by?: string,
  ): Promise<CommandOutcome> {
    const outcome = await this.#run(name, args);
    this.#audit({
      source,
      ...(by ? { by } : {}),
      name,
      args,
      ok: outcome.ok,
      ...(outcome.ok ? {} : { error: outcome.error }),
    });
    return outcome;
  }

  async #run(name: string, args: Record<string, unknown>): Promise<CommandOutcome> {
    const command = this.#commands.get(name);
    if (!command) return { ok: false, error: { code: 'unknown_command', message: `no command "${name}"` } };
    const parsed = command.args.safeParse(args);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      return {
        ok: false,
        error: { code: 'bad_args', message: `${where}${issue?.message ?? 'invalid arguments'}` },
      };
    }
    try {
      const result = await command.run(parsed.data);
      return result === undefined ? { ok: true } : { ok: true, result };
    } catch (err) {
      if (err instanceof CommandError) return { ok: false, error: { code: err.code, message: err.message } };
      return {
        ok: false,
        error: { code: 'internal', message: err instanceof Error ? err.message : String(err) },
      };
    }
  }
}

export const noArgs = z.strictObject({});
