/**
 * The "Tools" and "AI clients" sections as every medium shows them (the text report, the email,
 * the Slack post): the top tools with their share of the metric's calls and their previous
 * window, "and N more", each client with its calls and people, or the one line saying why the
 * sections are empty. Built once from the summary; each medium only formats and escapes it. Pure.
 */

import type { Summary } from '../core/types';
import { formatShare } from './percent';

/** Tools each medium lists before "and N more". */
export const TOOLS_SHOWN = 10;
/** Clients listed before "and N more": orgs see a handful (Claude, Cursor, Codex, …), and the email's budget is tight. */
export const CLIENTS_SHOWN = 6;

export interface ToolRow {
  readonly name: string;
  readonly calls: number;
  /** `43%`, `<1%`: of the metric's calls in the window. */
  readonly share: string;
  /** Calls in the previous window; `null` when it is not known. */
  readonly previous: number | null;
}

export interface ClientRow {
  readonly name: string;
  readonly calls: number;
  readonly people: number;
  readonly previous: number | null;
}

export interface UsageView {
  /** Why the sections are empty (plain text from our code and Datadog's short phrases), when they are. */
  readonly unavailable?: string;
  /** Metrics Explorer on the metric over the window, by tool: where the tools' "and N more" leads. */
  readonly link: string;
  /** The same, by client. */
  readonly clientsLink: string;
  readonly tools: readonly ToolRow[];
  readonly moreTools: number;
  readonly moreToolCalls: number;
  readonly clients: readonly ClientRow[];
  readonly moreClients: number;
  readonly moreClientCalls: number;
}

const FALLBACK_LINK = 'https://app.datadoghq.com/metric/explorer?exp_metric=datadog.mcp.tool.usage';

/** `link` split by `tag` instead (a Metrics Explorer URL's `exp_group`); `link` itself when it is not a URL. */
function groupedBy(link: string, tag: string): string {
  try {
    const url = new URL(link);
    url.searchParams.set('exp_group', tag);
    return url.toString();
  } catch {
    return link;
  }
}

export function usageView(summary: Summary): UsageView {
  const source = summary.tool_usage;
  const link = source?.link ?? FALLBACK_LINK;
  const clientsLink = groupedBy(link, 'client');
  const empty = { tools: [], moreTools: 0, moreToolCalls: 0, clients: [], moreClients: 0, moreClientCalls: 0 };
  if (!summary.tools || !summary.clients || source?.status !== 'ok') {
    const reason = source?.reason ?? 'the MCP usage metric was not read for this report';
    return {
      ...empty,
      link,
      clientsLink,
      unavailable: source?.status === 'unavailable' ? `not shown: ${reason}` : reason,
    };
  }
  const total = source.total_calls ?? summary.tools.reduce((sum, t) => sum + t.calls, 0);
  const restTools = summary.tools.slice(TOOLS_SHOWN);
  const restClients = summary.clients.slice(CLIENTS_SHOWN);
  return {
    link,
    clientsLink,
    tools: summary.tools.slice(0, TOOLS_SHOWN).map((t) => ({
      name: t.tool,
      calls: t.calls,
      share: formatShare(t.calls, total),
      previous: t.previous_calls,
    })),
    moreTools: restTools.length,
    moreToolCalls: restTools.reduce((sum, t) => sum + t.calls, 0),
    clients: summary.clients.slice(0, CLIENTS_SHOWN).map((c) => ({
      name: c.client,
      calls: c.calls,
      people: c.people,
      previous: c.previous_calls,
    })),
    moreClients: restClients.length,
    moreClientCalls: restClients.reduce((sum, c) => sum + c.calls, 0),
  };
}
