/**
 * Checks a Slack message against Block Kit's documented limits and lists every violation,
 * so tests can assert `toEqual([])` and see what broke.
 */
import type { KnownBlock } from '@slack/types';

export const LIMITS = { blocks: 50, header: 150, section: 3000, fields: 10, field: 2000, context: 10, text: 40_000 };

interface TextLike {
  readonly type: string;
  readonly text?: string;
}

function checkText(where: string, object: TextLike | undefined, max: number, problems: string[]): void {
  if (!object) return;
  const length = object.text?.length ?? 0;
  if (length < 1 || length > max) problems.push(`${where}: text length ${length} not in 1..${max}`);
}

export function slackLimitViolations(message: { text: string; blocks: readonly KnownBlock[] }): string[] {
  const problems: string[] = [];
  if (message.blocks.length > LIMITS.blocks) problems.push(`${message.blocks.length} blocks > ${LIMITS.blocks}`);
  if (message.text.length < 1 || message.text.length > LIMITS.text) problems.push(`text length ${message.text.length}`);
  message.blocks.forEach((block, i) => {
    const where = `blocks[${i}] ${block.type}`;
    if (block.type === 'header') checkText(where, block.text, LIMITS.header, problems);
    if (block.type === 'section') {
      if (!block.text && !block.fields) problems.push(`${where}: neither text nor fields`);
      checkText(where, block.text, LIMITS.section, problems);
      if ((block.fields?.length ?? 0) > LIMITS.fields) problems.push(`${where}: ${block.fields?.length} fields`);
      block.fields?.forEach((field, j) => {
        checkText(`${where}.fields[${j}]`, field, LIMITS.field, problems);
      });
    }
    if (block.type === 'context') {
      if (block.elements.length > LIMITS.context) problems.push(`${where}: ${block.elements.length} elements`);
      block.elements.forEach((element, j) => {
        checkText(`${where}.elements[${j}]`, element as TextLike, LIMITS.section, problems);
      });
    }
  });
  return problems;
}

/** Every string in a JSON value (keys excluded). */
export function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(allStrings);
  return [];
}
