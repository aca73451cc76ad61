// GPIO as the gates see it: named lines, never chip offsets (a resolver maps them per kernel).
export type Level = 0 | 1;

export interface GpioLineSpec {
  /** Line name from the gate profile, e.g. "lock", "beamA", "fireAlarm". */
  name: string;
  direction: 'in' | 'out';
  /** Logical 1 is electrical low (most relay boards and dry contacts). */
  activeLow?: boolean;
  /** Inputs: ignore changes shorter than this. */
  debounceMs?: number;
  /** Outputs: level written on open and on shutdown or crash (the profile's safe state). */
  safeLevel?: Level;
}

export interface GpioLine {
  readonly name: string;
  /** Logical level (active-low already applied). */
  read(): Level;
  /** Outputs only; throws for an input. */
  write(level: Level): void;
  /** Inputs only: called on every debounced change; returns the unsubscribe function. */
  watch(listener: (level: Level) => void): () => void;
  close(): void;
}

export interface GpioChip {
  open(spec: GpioLineSpec): GpioLine;
  /** Writes every output's safe level, then releases all lines; outputs stay at that level. */
  close(): void;
  /**
   * Writes every output's safe level now, synchronously, and leaves the lines open (a crash handler,
   * a gate whose machine failed). Never throws.
   */
  failSafe(): void;
}
