/**
 * canonicalTimeZone: the one spelling of a time zone that the CLI, the reports parser (at synth
 * and at cold start) and the schedule use: a zone keeps the spelling it was given, but for its
 * case, so `europe/berlin` is `Europe/Berlin` and `Asia/Kolkata` stays `Asia/Kolkata`.
 */
import { canonicalTimeZone, isValidTimeZone } from '../../../functions/weekly-report/config/values';

describe('canonicalTimeZone', () => {
  it.each([
    ['europe/berlin', 'Europe/Berlin'],
    ['EUROPE/BERLIN', 'Europe/Berlin'],
    ['Europe/Berlin', 'Europe/Berlin'],
    ['america/new_york', 'America/New_York'],
    ['utc', 'UTC'],
    ['UTC', 'UTC'],
  ])('spells %j as %j', (given, canonical) => {
    // Act + Assess
    expect(canonicalTimeZone(given)).toBe(canonical);
  });

  it.each(['Asia/Kolkata', 'Asia/Calcutta', 'Europe/Kyiv', 'Europe/Kiev', 'US/Pacific', 'Etc/UTC', 'GMT'])(
    'keeps the valid zone %j as it was spelled, though Intl may name it otherwise',
    (zone) => {
      // Act + Assess
      expect(canonicalTimeZone(zone)).toBe(zone);
    },
  );

  it('spells an alias only as the zone Intl resolves it to when its case cannot be told', () => {
    // Prepare: Intl lists no aliases, so the right case of `asia/kolkata` is nowhere to be read.
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Kolkata' }).resolvedOptions().timeZone;

    // Act + Assess
    expect(canonicalTimeZone('asia/kolkata')).toBe(resolved);
    expect(canonicalTimeZone(canonicalTimeZone('asia/kolkata'))).toBe(resolved);
  });

  it.each(['', ' ', 'Mars/Olympus', 'Europe/Berln', '+01:00', '-0500', 'Europe/Berlin '])('refuses %j', (given) => {
    // Act + Assess
    expect(canonicalTimeZone(given)).toBeUndefined();
    expect(isValidTimeZone(given)).toBe(false);
  });

  it('keeps every zone Intl knows as it is, so canonicalizing twice changes nothing', () => {
    // Prepare
    const zones = Intl.supportedValuesOf('timeZone');

    // Act
    const changed = zones.filter((zone) => canonicalTimeZone(zone) !== zone);
    const unstable = zones
      .map((zone) => zone.toLowerCase())
      .filter((zone) => canonicalTimeZone(canonicalTimeZone(zone)) !== canonicalTimeZone(zone));

    // Assess
    expect(zones.length).toBeGreaterThan(300);
    expect(changed).toEqual([]);
    expect(unstable).toEqual([]);
  });
});
