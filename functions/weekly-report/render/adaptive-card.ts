/**
 * The part of the Adaptive Card schema (adaptivecards.io, version 1.4) that the Teams card uses,
 * as types: the message a Teams workflow webhook takes, and the card's few elements (TextBlock,
 * FactSet, Container) and its one action (Action.OpenUrl). Nothing else is ever emitted, so a
 * card that type-checks here is one the tests can hold to the schema with the `adaptivecards`
 * package (test/support/adaptive-card-check.ts). Types only: it imports nothing.
 */

/** The schema version the card declares: Teams renders 1.4 on desktop, web and mobile alike. */
export const ADAPTIVE_CARD_VERSION = '1.4';
export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

export type TextColor = 'default' | 'dark' | 'light' | 'accent' | 'good' | 'warning' | 'attention';
export type Spacing = 'none' | 'small' | 'default' | 'medium' | 'large' | 'extraLarge' | 'padding';

/** Markdown (Teams' subset) in `text`: every value from audit data in it went through render/adaptive-text.ts. */
export interface TextBlock {
  readonly type: 'TextBlock';
  readonly text: string;
  readonly wrap: true;
  readonly size?: 'small' | 'default' | 'medium' | 'large' | 'extraLarge';
  readonly weight?: 'lighter' | 'default' | 'bolder';
  readonly color?: TextColor;
  readonly isSubtle?: boolean;
  readonly spacing?: Spacing;
  readonly separator?: boolean;
}

/** Title and value of a fact are Markdown too. */
export interface Fact {
  readonly title: string;
  readonly value: string;
}

export interface FactSet {
  readonly type: 'FactSet';
  readonly facts: readonly Fact[];
  readonly spacing?: Spacing;
}

export interface Container {
  readonly type: 'Container';
  readonly items: readonly CardElement[];
  readonly style?: 'default' | 'emphasis' | 'good' | 'attention' | 'warning' | 'accent';
  readonly spacing?: Spacing;
  readonly separator?: boolean;
}

export type CardElement = TextBlock | FactSet | Container;

/** A button that opens one of our own https URLs. */
export interface OpenUrlAction {
  readonly type: 'Action.OpenUrl';
  readonly title: string;
  readonly url: string;
}

export interface AdaptiveCard {
  readonly type: 'AdaptiveCard';
  readonly $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  readonly version: typeof ADAPTIVE_CARD_VERSION;
  /** What a client that cannot draw the card shows instead (plain text). */
  readonly fallbackText: string;
  readonly body: readonly CardElement[];
  readonly actions?: readonly OpenUrlAction[];
}

/** The body a Teams workflow webhook ("Post to a channel when a webhook request is received") takes. */
export interface TeamsMessage {
  readonly type: 'message';
  readonly attachments: readonly [
    {
      readonly contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE;
      readonly contentUrl: null;
      readonly content: AdaptiveCard;
    },
  ];
}
