// The seam where the simulated store gets a life of its own: faults, shoppers at the gates, the
// shelves and fire drills are behaviours, each a small start/stop contract.

/** Something the simulated store does by itself while it runs. `stop` undoes whatever is under way. */
export interface SimBehaviour {
  /** A short name for logs, e.g. 'faults', 'shoppers'. */
  readonly name: string;
  start(): void;
  stop(): void;
}
