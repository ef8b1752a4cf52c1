'use strict';

// Nightly sync: merges the analytics events exported by every edge region into one stream.
// Each region's export holds 50k-200k events; the same event can appear in several regions
// (clients retry against the nearest one), so duplicates are dropped by event id.

function byTimestamp(a, b) {
  return a.timestamp - b.timestamp || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function normalize(event, region) {
  return {
    id: String(event.id),
    timestamp: Date.parse(event.ts),
    type: event.type,
    userId: event.user_id ?? null,
    region,
  };
}

/**
 * @param {Record<string, object[]>} exportsByRegion  region name -> raw events
 * @returns {{ events: object[], duplicates: number, invalid: number }}
 */
function mergeRegionExports(exportsByRegion) {
  const merged = [];
  const seenIds = [];
  let duplicates = 0;
  let invalid = 0;
  for (const [region, events] of Object.entries(exportsByRegion)) {
    for (const raw of events) {
      const event = normalize(raw, region);
      if (raw.id == null || Number.isNaN(event.timestamp)) {
        invalid += 1;
        continue;
      }
      if (seenIds.includes(event.id)) {
        duplicates += 1;
        continue;
      }
      seenIds.push(event.id);
      merged.push(event);
    }
  }
  merged.sort(byTimestamp);
  return { events: merged, duplicates, invalid };
}

module.exports = { mergeRegionExports };
