import { blocksTotalLength, checkBlocks, slackLimitViolations } from '../../support/slack-limits';

describe('slackLimitViolations (the Block Kit oracle of the render tests and the Slack emulator)', () => {
  it('accepts a message within every limit', () => {
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'AI Activity Audit' } },
      { type: 'section', text: { type: 'mrkdwn', text: 'x' }, fields: [{ type: 'mrkdwn', text: 'y' }] },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'z' }] },
      { type: 'divider' },
    ];
    expect(slackLimitViolations({ text: 'fallback', blocks })).toEqual([]);
  });

  it('names every violated limit', () => {
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'a'.repeat(151) } },
      { type: 'section' },
      { type: 'section', text: { type: 'mrkdwn', text: 'b'.repeat(3001) } },
      { type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) },
      { type: 'section', fields: [{ type: 'mrkdwn', text: 'c'.repeat(2001) }] },
      { type: 'context', elements: [] },
      { type: 'weird' },
      ...Array.from({ length: 44 }, () => ({ type: 'divider' })),
    ];
    expect(slackLimitViolations({ text: '', blocks })).toEqual([
      'text length 0',
      '51 blocks > 50',
      'blocks[0] header: text length 151 not in 1..150',
      'blocks[1] section: neither text nor fields',
      'blocks[2] section: text length 3001 not in 1..3000',
      'blocks[3] section: 11 fields',
      'blocks[4] section.fields[0]: text length 2001 not in 1..2000',
      'blocks[5] context: 0 elements not in 1..10',
      'blocks[6] weird: unknown block type',
    ]);
  });

  it('refuses blocks that are not an array of objects', () => {
    expect(checkBlocks('[]')).toEqual(['blocks must be an array']);
    expect(checkBlocks([null])).toEqual(['blocks[0] is not an object']);
  });

  it('refuses blocks that add up to more than Slack takes in total, each block within its limit', () => {
    // Prepare: five sections of 2,640 characters, each allowed, 13,200+ of JSON together
    const blocks = Array.from({ length: 5 }, () => ({
      type: 'section',
      text: { type: 'mrkdwn', text: 'x'.repeat(2640) },
    }));

    // Act
    const problems = slackLimitViolations({ text: 'fallback', blocks });

    // Assess
    expect(checkBlocks(blocks)).toEqual([]);
    expect(problems).toEqual([`blocks total ${blocksTotalLength(blocks)} characters > 13200`]);
    expect(slackLimitViolations({ text: 'fallback', blocks: blocks.slice(0, 4) })).toEqual([]);
  });
});
