/**
 * Holds a Teams card to the Adaptive Card schema with Microsoft's own `adaptivecards` package
 * (3.x, the library Teams' web client renders with): the card is parsed with a SerializationContext
 * that records every warning (an unknown element or action type, a wrong value, a version it does
 * not support), its properties are validated, and it is serialized back: a property the package does
 * not know is dropped on the way, so anything present in the card and missing after the round trip
 * is an unknown property. `cardProblems` lists every finding; a good card has none.
 */
import type * as AdaptiveCardsTypes from 'adaptivecards';

// The package's `lib/` is ES modules with extensionless imports, which Node cannot load; its UMD
// bundle is the same code, built.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const AdaptiveCards: typeof AdaptiveCardsTypes = require('adaptivecards/dist/adaptivecards.min.js');

/** Properties the package reads but does not write back (the schema link, and a fixed content type). */
const NOT_ROUND_TRIPPED = new Set(['$schema']);

/** Every warning, validation failure and unknown property of `card` (an Adaptive Card's JSON), one line each. */
export function cardProblems(card: unknown): string[] {
  const problems: string[] = [];
  const parsed = new AdaptiveCards.AdaptiveCard();
  const context = new AdaptiveCards.SerializationContext(AdaptiveCards.Versions.v1_4);
  parsed.parse(card, context);
  for (let i = 0; i < context.eventCount; i++) {
    const event = context.getEventAt(i);
    problems.push(`parse: ${AdaptiveCards.ValidationEvent[event.event]}: ${event.message}`);
  }
  for (const event of parsed.validateProperties().validationEvents) {
    problems.push(`validate: ${AdaptiveCards.ValidationEvent[event.event]}: ${event.message}`);
  }
  const written = parsed.toJSON(new AdaptiveCards.SerializationContext(AdaptiveCards.Versions.v1_4));
  problems.push(...droppedProperties(card, written, 'card'));
  return problems;
}

/** Paths of `input` that the round trip dropped or changed: properties the package does not know. */
function droppedProperties(input: unknown, output: unknown, path: string): string[] {
  if (Array.isArray(input)) {
    if (!Array.isArray(output)) return [`${path}: a list that did not survive parsing`];
    return input.flatMap((item, i) => droppedProperties(item, output[i], `${path}[${i}]`));
  }
  if (typeof input === 'object' && input !== null) {
    if (typeof output !== 'object' || output === null) return [`${path}: an object that did not survive parsing`];
    const out = output as Record<string, unknown>;
    return Object.entries(input).flatMap(([key, value]) => {
      if (NOT_ROUND_TRIPPED.has(key)) return [];
      if (!(key in out)) {
        // A default value is not written back: `wrap: false`, `spacing: "default"`.
        return isDefault(key, value) ? [] : [`${path}.${key}: not a property the package knows (dropped)`];
      }
      return droppedProperties(value, out[key], `${path}.${key}`);
    });
  }
  return input === output || (typeof input === 'string' && typeof output === 'string' && sameWords(input, output))
    ? []
    : [`${path}: ${JSON.stringify(input)} came back as ${JSON.stringify(output)}`];
}

/** Enumerations come back in the package's own spelling (`bolder` → `Bolder`). */
function sameWords(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function isDefault(key: string, value: unknown): boolean {
  return (
    (key === 'spacing' && value === 'default') ||
    (key === 'size' && value === 'default') ||
    (key === 'weight' && value === 'default') ||
    (key === 'color' && value === 'default') ||
    (key === 'style' && value === 'default') ||
    (key === 'separator' && value === false) ||
    (key === 'isSubtle' && value === false) ||
    (key === 'wrap' && value === false)
  );
}

/** The card of a Teams message (`attachments[0].content`), or undefined when the message has none. */
export function cardOf(message: unknown): unknown {
  const attachments = (message as { attachments?: Array<{ content?: unknown }> } | null)?.attachments;
  return Array.isArray(attachments) ? attachments[0]?.content : undefined;
}
