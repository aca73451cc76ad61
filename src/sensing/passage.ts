// Who walked through a gate lane, and which way, from its two beams. The beam broken first from an
// empty lane gives the direction; a passage completes when the far beam clears behind someone, which
// also counts a follower close enough that the lane never empties. With one beam stuck, the other
// counts alone (stepLaneOneBeam). Pure: levels in, passages out.

export type Beam = 'outer' | 'inner';
/** `in` is from the street into the shop (outer beam first), `out` the other way. */
export type Direction = 'in' | 'out';

export type PassageSignal =
  | { kind: 'started'; direction: Direction }
  | { kind: 'completed'; direction: Direction }
  /** The lane emptied with nobody through: a person stepped in and backed out. */
  | { kind: 'abandoned'; direction: Direction };

export interface LaneState {
  outer: boolean;
  inner: boolean;
  /** The direction of the people in the lane; undefined while it is empty. */
  direction?: Direction;
  /** The near beam was broken again since the far one was: someone follows the one ahead. */
  follower: boolean;
  /** Passages completed since the lane was last empty. */
  through: number;
}

export const emptyLane: LaneState = { outer: false, inner: false, follower: false, through: 0 };

/** The lane after one beam's change, and what that change means (undefined: nothing yet). */
export function stepLane(
  lane: LaneState,
  beam: Beam,
  broken: boolean,
): { lane: LaneState; signal?: PassageSignal } {
  if (lane[beam] === broken) return { lane };
  const next: LaneState = { ...lane, [beam]: broken };
  if (lane.direction === undefined) {
    if (!broken) return { lane: next };
    const direction = beam === 'outer' ? 'in' : 'out';
    return {
      lane: { ...next, direction, follower: false, through: 0 },
      signal: { kind: 'started', direction },
    };
  }
  const direction = lane.direction;
  const near: Beam = direction === 'in' ? 'outer' : 'inner';
  const nearBroken = next[near];
  let signal: PassageSignal | undefined;
  if (beam === near) {
    if (broken) next.follower = true;
  } else if (broken) next.follower = false;
  else if (!nearBroken || lane.follower) {
    next.through += 1;
    next.follower = false;
    signal = { kind: 'completed', direction };
  }
  if (!next.outer && !next.inner) {
    if (next.through === 0) signal = { kind: 'abandoned', direction };
    return { lane: { ...emptyLane }, ...(signal ? { signal } : {}) };
  }
  return { lane: next, ...(signal ? { signal } : {}) };
}

/**
 * The lane while one beam is stuck broken and the other must count alone: each break and clear of the
 * working beam is one person going `direction` (the way the gate is open), as if both beams had broken
 * and cleared together. One beam cannot tell the way, nor a follower close behind the one ahead.
 */
export function stepLaneOneBeam(
  lane: LaneState,
  direction: Direction,
  broken: boolean,
): { lane: LaneState; signals: PassageSignal[] } {
  const near: Beam = direction === 'in' ? 'outer' : 'inner';
  const far: Beam = near === 'outer' ? 'inner' : 'outer';
  const signals: PassageSignal[] = [];
  let next = lane;
  for (const beam of [near, far]) {
    const stepped = stepLane(next, beam, broken);
    next = stepped.lane;
    if (stepped.signal) signals.push(stepped.signal);
  }
  return { lane: next, signals };
}
