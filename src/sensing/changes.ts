// From each plate's settled change to the shelf's changes. An item can rest on two or three adjacent
// plates, so the plates that really moved (beyond their own noise, and by at least minPlateGrams) are
// grouped into runs of neighbours; each run whose total stands out (at least minChangeGrams, and
// beyond the noise of its plates together) is one change. Runs apart from each other are separate
// changes: two hands at two ends of a shelf. A run whose total is small is something sliding between
// neighbouring plates, or a crumb: not an event.

/** How many standard deviations make a plate's or a group's change real rather than noise. */
export const SIGNIFICANT_SIGMAS = 3;

export interface PlateGroup {
  plates: number[];
  deltaGrams: number;
  sigmaGrams: number;
}

/**
 * The changes among per-plate `deltas` (g) with standard deviations `sigmas` (g); plates whose
 * `usable` is 0 (faulty, not yet learned) take no part and separate their neighbours.
 */
export function groupChanges(
  deltas: Float64Array,
  sigmas: Float64Array,
  usable: Uint8Array,
  minPlateGrams: number,
  minChangeGrams: number,
): PlateGroup[] {
  const groups: PlateGroup[] = [];
  let run: number[] = [];
  const close = () => {
    if (run.length === 0) return;
    let total = 0;
    let variance = 0;
    for (const p of run) {
      total += deltas[p] as number;
      variance += (sigmas[p] as number) ** 2;
    }
    const sigma = Math.sqrt(variance);
    if (Math.abs(total) >= Math.max(minChangeGrams, SIGNIFICANT_SIGMAS * sigma))
      groups.push({ plates: run, deltaGrams: total, sigmaGrams: sigma });
    run = [];
  };
  for (let p = 0; p < deltas.length; p++) {
    const d = Math.abs(deltas[p] as number);
    const moved = usable[p] === 1 && d >= minPlateGrams && d >= SIGNIFICANT_SIGMAS * (sigmas[p] as number);
    if (moved) run.push(p);
    else close();
  }
  close();
  return groups;
}
