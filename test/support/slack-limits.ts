/**
 * Checks a Slack message against Block Kit's documented limits and lists every violation,
 * so tests can assert `toEqual([])` and see what broke.
 */
export const LIMITS = {
  blocks: 50,
  header: 150,
  section: 3000,
  fields: 10,
  field: 2000,
  context: 10,
  text: 40_000,
  /**
   * The whole `blocks` array: Slack answers `msg_blocks_too_long` at about 13,200 characters in
   * total even when every block is within its own limit (slackapi/bolt-js#2509). Slack does not
   * say how it counts; we count the blocks' JSON, which is never shorter than their text, so this
   * stand-in refuses at least what Slack was seen to refuse.
   */
  blocksTotal: 13_200,
};

/** Length of the `blocks` array as JSON, the measure of `LIMITS.blocksTotal`. */
export function blocksTotalLength(blocks: unknown): number {
  return Array.isArray(blocks) ? JSON.stringify(blocks).length : 0;
}

/** Length of `object.text` when it is a text object, else 0 (an untyped JSON block may hold anything). */
function textLength(object: unknown): number {
  const text = (object as { text?: unknown } | undefined)?.text;
  return typeof text === 'string' ? text.length : 0;
}

function checkText(where: string, object: unknown, max: number, problems: string[]): void {
  if (object === undefined) return;
  const length = textLength(object);
  if (length < 1 || length > max) problems.push(`${where}: text length ${length} not in 1..${max}`);
}

/**
 * Block Kit limits Slack enforces on `chat.postMessage` blocks, on untyped JSON (the Slack emulator
 * receives it over HTTP); each problem names the block.
 */
export function checkBlocks(blocks: unknown): string[] {
  if (blocks === undefined) return [];
  if (!Array.isArray(blocks)) return ['blocks must be an array'];
  const problems: string[] = [];
  if (blocks.length > LIMITS.blocks) problems.push(`${blocks.length} blocks > ${LIMITS.blocks}`);
  blocks.forEach((block: unknown, i) => {
    if (typeof block !== 'object' || block === null) {
      problems.push(`blocks[${i}] is not an object`);
      return;
    }
    const b = block as { type?: unknown; text?: unknown; fields?: unknown; elements?: unknown };
    const where = `blocks[${i}] ${String(b.type)}`;
    switch (b.type) {
      case 'header':
        checkText(where, b.text ?? {}, LIMITS.header, problems);
        break;
      case 'section': {
        const fields = Array.isArray(b.fields) ? (b.fields as unknown[]) : undefined;
        if (b.text === undefined && fields === undefined) problems.push(`${where}: neither text nor fields`);
        checkText(where, b.text, LIMITS.section, problems);
        if (fields && fields.length > LIMITS.fields) problems.push(`${where}: ${fields.length} fields`);
        fields?.forEach((field, j) => {
          checkText(`${where}.fields[${j}]`, field, LIMITS.field, problems);
        });
        break;
      }
      case 'context': {
        const elements = Array.isArray(b.elements) ? (b.elements as unknown[]) : [];
        if (elements.length < 1 || elements.length > LIMITS.context) {
          problems.push(`${where}: ${elements.length} elements not in 1..${LIMITS.context}`);
        }
        elements.forEach((element, j) => {
          // Image elements carry no text; text elements must be non-empty and within a section's limit.
          if ((element as { type?: unknown })?.type !== 'image') {
            checkText(`${where}.elements[${j}]`, element, LIMITS.section, problems);
          }
        });
        break;
      }
      case 'divider':
      case 'actions':
      case 'rich_text':
      case 'image':
        break;
      default:
        problems.push(`${where}: unknown block type`);
    }
  });
  return problems;
}

/** Every limit of a whole message: the fallback text, the blocks' total, then each block. */
export function slackLimitViolations(message: {
  readonly text: string;
  readonly blocks: readonly unknown[];
}): string[] {
  const problems: string[] = [];
  if (message.text.length < 1 || message.text.length > LIMITS.text) problems.push(`text length ${message.text.length}`);
  const total = blocksTotalLength(message.blocks);
  if (total > LIMITS.blocksTotal) problems.push(`blocks total ${total} characters > ${LIMITS.blocksTotal}`);
  return [...problems, ...checkBlocks(message.blocks)];
}

/** Every string in a JSON value (keys excluded). */
export function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(allStrings);
  return [];
}
