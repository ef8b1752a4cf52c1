'use strict';

// Gaps in a device's heartbeat timeline, for the "offline periods" panel of the fleet dashboard.
// `beats` are unix-millisecond timestamps as stored, oldest first; the same beat can be stored
// twice when a device re-sends after a timeout.

/**
 * Periods longer than `thresholdMs` between consecutive beats.
 * @param {number[]} beats sorted ascending
 * @returns {{ from: number, to: number, durationMs: number }[]}
 */
function findGaps(beats, thresholdMs) {
  const gaps = [];
  for (let i = 0; i < beats.length - 1; i++) {
    const duration = beats[i + 1] - beats[i];
    if (duration > thresholdMs) {
      gaps.push({ from: beats[i], to: beats[i + 1], durationMs: duration });
    }
  }
  return gaps;
}

/**
 * The beat nearest to `at`, or null for an empty timeline. Binary search: timelines hold up to
 * a month of beats at one per second.
 */
function nearestBeat(beats, at) {
  if (beats.length === 0) {
    return null;
  }
  let lo = 0;
  let hi = beats.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (beats[mid] < at) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  // lo is the first beat >= at (or the last beat); the one before it may be nearer.
  if (lo > 0 && at - beats[lo - 1] <= beats[lo] - at) {
    return beats[lo - 1];
  }
  return beats[lo];
}

// The timeline without the re-sent copies: equal neighbours collapse into one beat.
function withoutRepeats(beats) {
  return beats.filter((beat, i) => i === 0 || beat !== beats[i - 1]);
}

module.exports = { findGaps, nearestBeat, withoutRepeats };
