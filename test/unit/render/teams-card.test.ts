/**
 * The Teams card (render/teams-card.ts): what it holds (the Slack channel post's content: title,
 * window, figures, top anomalies, links to Datadog and to the archive's copy), that every card of
 * every fixture parses in Microsoft's `adaptivecards` package with no warning and no unknown
 * element or property, that it is cut to fit its byte cap with "and N more", and that hostile
 * audit data forms no link, mention or formatting (render/adaptive-text.ts).
 */
import { renderReport } from '../../../functions/weekly-report/render';
import type { AdaptiveCard, CardElement } from '../../../functions/weekly-report/render/adaptive-card';
import { cardLink, cardValue, inertCardText } from '../../../functions/weekly-report/render/adaptive-text';
import {
  buildTeamsMessage,
  listedAnomalies,
  TEAMS_LIMITS,
  teamsMessageBytes,
} from '../../../functions/weekly-report/render/teams-card';
import { buildReportView } from '../../../functions/weekly-report/render/view';
import { cardOf, cardProblems } from '../../support/adaptive-card-check';
import {
  countFlags,
  HOSTILE_VALUES,
  makeBusySummary,
  makeFlag,
  makeHostileSummary,
  makeHugeSummary,
  makeSummary,
  makeTriageSummary,
} from '../../support/summary-fixtures';

const ARCHIVE = {
  url: 'https://console.aws.amazon.com/s3/buckets/audit-archive?region=eu-west-1&prefix=reports%2Facme%2F2026-11-23T00%3A00%3A00.000Z%2F',
  text: 'Open the archived report (AWS console)',
};

/** What Teams' Markdown, its linkifier or the card format would act on, as audit data could spell it. */
const TEAMS_HOSTILE: readonly string[] = [
  '[click](https://evil.example/login)',
  '<at>Everyone</at>',
  'https://evil.example/login',
  'www.evil.example',
  'mallory@evil.example',
  '**bold** __bold__ _it_ *it* ~~struck~~ `code`',
  '# heading',
  '&lt;at&gt;x&lt;/at&gt; &#91;x&#93;(https://evil.example) &#x202E;',
  '{{DATE(2026-11-17T10:00:00Z, SHORT)}}',
  'back\\*slash\\_ \\[x\\](https://evil.example)',
  '![img](https://evil.example/pixel.png)',
];

function cardOfSummary(summary: Parameters<typeof renderReport>[0], archive = false): AdaptiveCard {
  return renderReport(summary, { slackChannel: 'C1', ...(archive ? { archive: ARCHIVE } : {}) }).teams.attachments[0]
    .content;
}

/** Every piece of Markdown text in the card: TextBlocks, facts, action titles, the fallback. */
function texts(card: AdaptiveCard): string[] {
  const out: string[] = [card.fallbackText, ...(card.actions ?? []).map((a) => a.title)];
  const walk = (elements: readonly CardElement[]): void => {
    for (const e of elements) {
      if (e.type === 'TextBlock') out.push(e.text);
      else if (e.type === 'FactSet') for (const f of e.facts) out.push(f.title, f.value);
      else walk(e.items);
    }
  };
  walk(card.body);
  return out;
}

/** Our own links: a label and an https URL of Datadog's app. */
const OWN_LINK = /\[[^[\]]*\]\(https:\/\/app\.datadoghq\.com\/[^()\s]*\)/g;

describe('the Teams card', () => {
  it('holds the title, the window, the figures, the top anomalies and buttons to Datadog and the archive', () => {
    // Prepare
    const summary = makeBusySummary();

    // Act
    const message = renderReport(summary, { slackChannel: 'C1', archive: ARCHIVE }).teams;

    // Assess
    expect(message.type).toBe('message');
    expect(message.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = message.attachments[0].content;
    expect(card.version).toBe('1.4');
    const all = texts(card).join('\n');
    expect(all).toContain('AI Activity Audit — Acme Corporation');
    expect(all).toContain('2026-11-16 to 2026-11-22 · Europe/Berlin');
    expect(all).toContain('48,213 (−5% vs previous week)');
    expect(all).toContain('40 (14 high, 20 medium, 6 low)');
    expect(all).toContain('**High · 14**');
    expect(all).toContain('40 groups from 40 flags: 40 new');
    expect(all).toContain(
      '**Destructive action** · user0@example․com · Tue 17 Nov 11:00 Europe/Berlin · 1 deletion (monitor ×1) · New · [view in Datadog]',
    );
    expect(all).toMatch(
      /and 35 more groups · \[open the week in Datadog\]\(https:\/\/app\.datadoghq\.com\/audit-trail\?/,
    );
    expect(card.fallbackText).toBe(
      'AI Activity Audit — Acme Corporation — 2026-11-16 to 2026-11-22: 48,213 calls by 412 people, 40 anomalies (14 high)',
    );
    expect(card.actions).toEqual([
      {
        type: 'Action.OpenUrl',
        title: 'Open in Datadog Audit Trail',
        url: expect.stringMatching(/^https:\/\/app\.datadoghq\.com\/audit-trail\?/),
      },
      { type: 'Action.OpenUrl', title: 'Open the archived report (AWS console)', url: ARCHIVE.url },
    ]);
    expect((all.match(/view in Datadog/g) ?? []).length).toBe(TEAMS_LIMITS.anomalies);
  });

  it('says when nothing was flagged, and marks partial data with its reasons', () => {
    // Act
    const quiet = texts(cardOfSummary(makeSummary())).join('\n');
    const partial = texts(
      cardOfSummary(
        makeSummary({
          complete: false,
          warnings: Array.from({ length: 8 }, (_, i) => `Slice ${i} timed out`),
        }),
      ),
    ).join('\n');

    // Assess
    expect(quiet).toContain('No anomalies flagged this week.');
    expect(quiet).not.toContain('view in Datadog');
    expect(partial).toContain('· **partial data**');
    expect(partial).toContain('**Partial data** — Some audit events could not be read');
    expect(partial).toContain('- Slice 0 timed out\r- Slice 1 timed out');
    expect(partial).toContain('- and 3 more notes');
  });

  it.each([
    ['a quiet week', () => makeSummary()],
    ['a busy week', () => makeBusySummary()],
    ['a partial week', () => makeSummary({ complete: false, warnings: ['Slice timed out'] })],
    ['a week of hostile data', () => makeHostileSummary()],
    ['a week of 5000 anomalies with 5000-character values', () => makeHugeSummary()],
  ])('parses in adaptivecards with no warning, unknown element or unknown property: %s', (_name, summary) => {
    // Act
    const message = renderReport(summary(), { slackChannel: 'C1', archive: ARCHIVE }).teams;

    // Assess
    expect(cardProblems(cardOf(message))).toEqual([]);
  });

  it('finds what the check is for: an unknown element, an unknown property, a wrong value', () => {
    // Prepare: a good card with three faults
    const card = cardOfSummary(makeSummary());
    const bad = {
      ...card,
      body: [
        ...card.body,
        { type: 'Carousel', pages: [] },
        { type: 'TextBlock', text: 'x', wrap: true, colour: 'red' },
        { type: 'TextBlock', text: 'x', wrap: true, size: 'enormous' },
      ],
    };

    // Act
    const problems = cardProblems(bad);

    // Assess
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/UnknownElementType: Unknown element type "Carousel"/),
        expect.stringMatching(/colour: not a property the package knows/),
        expect.stringMatching(/InvalidPropertyValue.*enormous|size: "enormous" came back as/),
      ]),
    );
  });

  it('cuts the list to fit its byte cap, one group at a time, and says how many more', () => {
    // Prepare
    const view = buildReportView(makeBusySummary());
    const full = buildTeamsMessage(view, { maxBytes: Number.MAX_SAFE_INTEGER });
    const cap = teamsMessageBytes(full) - 1_000;

    // Act
    const cut = buildTeamsMessage(view, { maxBytes: cap });

    // Assess
    expect(teamsMessageBytes(cut)).toBeLessThanOrEqual(cap);
    const listed = JSON.stringify(cut).match(/view in Datadog/g)?.length ?? 0;
    expect(listed).toBeGreaterThan(0);
    expect(listed).toBeLessThan(TEAMS_LIMITS.anomalies);
    expect(JSON.stringify(cut)).toContain(`and ${40 - listed} more groups · [open the week in Datadog]`);
    expect(cardProblems(cardOf(cut))).toEqual([]);
  });

  it('keeps a card with nothing left to drop whole rather than failing', () => {
    // Act
    const tiny = buildTeamsMessage(buildReportView(makeBusySummary()), { maxBytes: 100 });

    // Assess
    expect(JSON.stringify(tiny)).toContain('None listed · [open the week in Datadog]');
    expect(cardProblems(cardOf(tiny))).toEqual([]);
  });

  it('lists the first groups listedAnomalies picks, in its order, each under its severity with its groups counted', () => {
    // Prepare
    const view = buildReportView(makeBusySummary(8));

    // Act
    const { items, total } = listedAnomalies(view);
    const all = texts(buildTeamsMessage(view).attachments[0].content).join('\n');

    // Assess
    expect(total).toBe(8);
    expect(items.map((i) => i.severity.severity)).toEqual(['high', 'high', 'high', 'high', 'medium']);
    expect(items).toHaveLength(TEAMS_LIMITS.anomalies);
    expect(all.indexOf('**High · 4**')).toBeLessThan(all.indexOf('**Medium · 3**'));
    expect(all).not.toContain('**Low');
    expect(all).toContain('and 3 more groups');
  });
});

describe('the Teams card over weeks', () => {
  it('says a group recurs, lists no group an exception accepts but says how many it accepts, and names what was resolved', () => {
    // Prepare
    const summary = makeTriageSummary();

    // Act
    const message = buildTeamsMessage(buildReportView(summary));
    const all = texts(message.attachments[0].content).join('\n');

    // Assess
    expect(all).toContain('3 groups from 3 flags: 1 new, 1 recurring, 1 accepted');
    expect(all).toContain('Recurring · 3 weeks');
    expect(all).toContain('An exception expired on 2026-11-20');
    expect(all).toContain('1 accepted (secops@example․com, until 2026-12-31)');
    expect(all).not.toContain('bo@example');
    expect(all).toContain('Resolved since last week: High volume · chen@example․com');
    expect(cardProblems(cardOf(message))).toEqual([]);
  });
});

describe('Adaptive Card text escaping', () => {
  it('swaps every character Markdown, a linkifier or the card format acts on for a look-alike', () => {
    // Act
    const out = inertCardText('a*b_c~d`e[f]g<h>i#j&k@l{m}n\\o evil.example https://x _it_ snake_case');

    // Assess
    expect(out).toBe('a∗b_c∼dˋe［f］g‹h›i＃j＆k@l｛m｝n∖o evil․example https∶//x ˍitˍ snake_case');
  });

  it('keeps one line, a length, and no bidirectional control', () => {
    // Act
    const out = cardValue(`line\nbreak \u202Eevil ${'x'.repeat(100)}`, 20);

    // Assess
    expect(out).toMatch(/^line break \ufffdevil x+…$/);
    expect(Array.from(out)).toHaveLength(20);
  });

  it('makes links only to https URLs, percent-encoding what would end the link', () => {
    // Act
    const link = cardLink('https://app.datadoghq.com/x?q=(a)[b] c', 'open *it*', 'https://fallback.example/');
    const notHttps = cardLink('javascript:alert(1)', 'x', 'https://fallback.example/');

    // Assess
    expect(link).toBe('[open ∗it∗](https://app.datadoghq.com/x?q=%28a%29%5Bb%5D%20c)');
    expect(notHttps).toBe('[x](https://fallback.example/)');
  });
});

describe('hostile audit data in the Teams card', () => {
  const values = [...HOSTILE_VALUES, ...TEAMS_HOSTILE];
  const flags = values.map((v, i) =>
    makeFlag(
      { user: v, action: values[(i + 1) % values.length], resource_id: values[(i + 2) % values.length], detail: v },
      i,
    ),
  );
  const summary = makeSummary({
    ...makeHostileSummary(),
    org: '[Acme](https://evil.example) <at>all</at> **x**',
    anomalies: flags.slice(0, 12),
    anomaly_counts: countFlags(flags.slice(0, 12)),
    warnings: TEAMS_HOSTILE,
  });

  it('forms no link, mention, image, entity, date function or formatting from audit data', () => {
    // Act
    const card = cardOfSummary(summary, true);

    // Assess: with our own links and our bold markers and list markers taken out, nothing is left that acts
    expect(cardProblems(card)).toEqual([]);
    for (const raw of texts(card)) {
      const rest = raw
        .replace(OWN_LINK, '')
        .replace(
          /\*\*(Anomalies|High · \d+|Medium · \d+|Low · \d+|Partial data|partial data|Destructive action)\*\*/g,
          '',
        )
        .replace(/(^|\r)- /g, '$1');
      // Parentheses stay: without a bracket before them they form nothing.
      expect(rest).not.toMatch(/[[\]<>*~`#&{}\\]/);
      // An underscore only inside a word, where it opens no italic.
      expect(rest).not.toMatch(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/u);
      // An @ stays, but never in an address that could be linked: no dot follows it within a name.
      expect(rest).not.toMatch(/@[\w-]+\.[\w-]/);
      expect(rest).not.toMatch(/https?:|www\./i);
      expect(rest).not.toMatch(/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/);
    }
    const json = JSON.stringify(card);
    expect(json).not.toContain('evil.example');
    expect(json).not.toContain('<at>');
    expect(json).not.toContain('msteams');
    expect(json).toContain('‹at›Everyone‹/at›');
    expect(json).toContain('［click］(https∶//evil․example/login)');
    expect(json).toContain('mallory@evil․example');
    expect(json).toContain('東京');
  });

  it('puts no audit value into a button, and only our URLs behind links and buttons', () => {
    // Act
    const card = cardOfSummary(summary, true);
    const all = texts(card).join('\n');

    // Assess
    const urls = [...all.matchAll(/\]\((https:[^)]*)\)/g)].map((m) => m[1] ?? '');
    expect(urls.length).toBeGreaterThan(5);
    for (const url of urls) expect(url).toMatch(/^https:\/\/app\.datadoghq\.com\//);
    expect(card.actions?.map((a) => a.title)).toEqual(['Open in Datadog Audit Trail', ARCHIVE.text]);
    expect(card.actions?.map((a) => a.url)).toEqual([
      expect.stringMatching(/^https:\/\/app\.datadoghq\.com\//),
      ARCHIVE.url,
    ]);
  });
});
