/**
 * canonicalTimeZone: the one spelling of a time zone that the CLI, the handler's environment check
 * and the CDK context check all use, so `europe/berlin` is `Europe/Berlin` everywhere.
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
