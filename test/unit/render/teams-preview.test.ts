/**
 * The Teams card drawn for real: Microsoft's `adaptivecards` renderer in headless Chromium
 * (scripts/lib/teams-preview.ts), with the Markdown Teams applies and the links Teams clients add to
 * bare URLs and e-mail addresses. A week of hostile data draws no link but ours, no bold or italic
 * from the data, and its values as text; the picture is written, and an old one never outlives a
 * run that cannot draw.
 */
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderReport } from '../../../functions/weekly-report/render';
import { TEAMS_LIMITS } from '../../../functions/weekly-report/render/teams-card';
import { BrowserLaunchError } from '../../../scripts/lib/email-screenshots';
import { captureTeamsScreenshot, renderTeamsCard } from '../../../scripts/lib/teams-preview';
import { countFlags, HOSTILE_VALUES, makeBusySummary, makeFlag, makeSummary } from '../../support/summary-fixtures';

const ARCHIVE = {
  url: 'https://console.aws.amazon.com/s3/buckets/archive?prefix=reports%2Facme%2F',
  text: 'Open the archived report',
};
const TEAMS_HOSTILE = [
  '[click](https://evil.example/login)',
  '<at>Everyone</at>',
  'https://evil.example/login',
  'www.evil.example',
  'mallory@evil.example',
  '**bold** _italic_ `code`',
];

jest.setTimeout(60_000);

describe('the Teams card in Chromium', () => {
  it('draws a busy week with its links to Datadog and the archive, and no renderer warning', async () => {
    // Act
    const drawn = await renderTeamsCard(
      renderReport(makeBusySummary(), { slackChannel: 'C1', archive: ARCHIVE }).teams,
    );

    // Assess
    expect(drawn.errors).toEqual([]);
    expect(drawn.text).toContain('AI Activity Audit — Acme Corporation');
    expect(drawn.text).toContain('Destructive action');
    expect(drawn.text).toContain('user0@example․com');
    // One link per listed anomaly group (the first TEAMS_LIMITS.anomalies of 40), one to the rest.
    expect(drawn.links.filter((l) => l.text === 'view in Datadog')).toHaveLength(TEAMS_LIMITS.anomalies);
    expect(drawn.links.filter((l) => l.text === 'open the week in Datadog')).toHaveLength(1);
    expect(drawn.text).toContain(`and ${40 - TEAMS_LIMITS.anomalies} more groups`);
    for (const link of drawn.links) expect(link.href).toMatch(/^https:\/\/app\.datadoghq\.com\//);
    expect(drawn.emphasis).toEqual(expect.arrayContaining(['Anomalies', 'High · 14', 'Destructive action']));
  });

  it('draws hostile data as text: no link, emphasis or mention but ours', async () => {
    // Prepare: the card lists TEAMS_LIMITS.anomalies groups, so one card per turn of the values
    // puts every value among the listed groups (as the person and the detail) once.
    const values = [...HOSTILE_VALUES, ...TEAMS_HOSTILE];
    const summaries = [];
    for (let start = 0; start < values.length; start += TEAMS_LIMITS.anomalies) {
      const turned = [...values.slice(start), ...values.slice(0, start)];
      const flags = turned.map((v, i) =>
        makeFlag({ user: v, resource_id: turned[(i + 3) % turned.length], detail: v }, i),
      );
      summaries.push(
        makeSummary({
          org: '**Acme** [x](https://evil.example)',
          anomalies: flags.slice(0, 15),
          anomaly_counts: countFlags(flags.slice(0, 15)),
          complete: false,
          warnings: TEAMS_HOSTILE,
        }),
      );
    }

    // Act
    const cards = [];
    for (const summary of summaries)
      cards.push(await renderTeamsCard(renderReport(summary, { slackChannel: 'C1' }).teams));

    // Assess
    const ours = /^(Anomalies|High · 15|Partial data|partial data|Destructive action)$/;
    for (const drawn of cards) {
      expect(drawn.errors).toEqual([]);
      for (const link of drawn.links) {
        expect(link.href).toMatch(/^https:\/\/app\.datadoghq\.com\//);
        expect(['view in Datadog', 'open the week in Datadog']).toContain(link.text);
      }
      expect(drawn.links.filter((l) => l.text === 'view in Datadog')).toHaveLength(TEAMS_LIMITS.anomalies);
      for (const run of drawn.emphasis) expect(run).toMatch(ours);
      expect(drawn.text).not.toContain('evil.example');
    }
    const all = cards.map((c) => c.text).join('\n');
    expect(all).toContain('［click］(https∶//evil․example/login)');
    expect(all).toContain('‹at›Everyone‹/at›');
    expect(all).toContain('mallory@evil․example');
    expect(all).toContain('∗bold∗ ˍitalicˍ ∼struck∼');
    expect(all).toContain('∗∗bold∗∗ ˍitalicˍ ˋcodeˋ');
  });

  it('writes teams.png, and removes an old one when it cannot draw', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'teams-shot-'));
    const message = renderReport(makeBusySummary(), { slackChannel: 'C1' }).teams;

    // Act
    const file = await captureTeamsScreenshot(message, dir);
    const size = statSync(file).size;
    writeFileSync(file, 'old');
    const saved = process.env.CHROMIUM_PATH;
    process.env.CHROMIUM_PATH = join(dir, 'no-chromium-here');
    const failing = captureTeamsScreenshot(message, dir);
    await expect(failing).rejects.toBeInstanceOf(BrowserLaunchError);
    if (saved === undefined) delete process.env.CHROMIUM_PATH;
    else process.env.CHROMIUM_PATH = saved;

    // Assess
    expect(size).toBeGreaterThan(20_000);
    expect(existsSync(file)).toBe(false);
  });
});
