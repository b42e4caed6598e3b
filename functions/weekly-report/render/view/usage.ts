/**
 * The "Tools" and "AI clients" sections of the view (the MCP usage metric): the top tools with
 * their share of the metric's calls and their change from the previous window, what is left of
 * the rest, each client with its calls and people, or the one line saying why the sections are
 * empty; and the Metrics Explorer links behind them. Pure.
 */

import type { Summary } from '../../core/types';
import { computeDelta, formatCount, pluralize } from './format';
import { formatShare } from './percent';
import type { Link, UsageView } from './types';

/** Tools listed before "and N more". */
export const TOOLS_SHOWN = 10;
/** Clients listed before "and N more": orgs see a handful (Claude, Cursor, Codex, …), and the email's budget is tight. */
export const CLIENTS_SHOWN = 6;

const METRIC = 'datadog.mcp.tool.usage';
const FALLBACK_LINK = `https://app.datadoghq.com/metric/explorer?exp_metric=${METRIC}`;

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

/** Metrics Explorer on the metric over the window, by tool and by client. */
export function usageLinks(summary: Summary): { readonly toolsMetric: Link; readonly clientsMetric: Link } {
  const url = summary.tool_usage?.link ?? FALLBACK_LINK;
  return {
    toolsMetric: { url, text: 'Open the metric in Datadog' },
    clientsMetric: { url: groupedBy(url, 'client'), text: 'Open the metric by client in Datadog' },
  };
}

export function usageView(summary: Summary): UsageView {
  const source = summary.tool_usage;
  const empty = { tools: [], moreTools: 0, moreToolCalls: 0, clients: [], moreClients: 0, moreClientCalls: 0 };
  if (!summary.tools || !summary.clients || source?.status !== 'ok') {
    const reason = source?.reason ?? 'the MCP usage metric was not read for this report';
    return {
      ...empty,
      metric: METRIC,
      unavailable: source?.status === 'unavailable' ? `not shown: ${reason}` : reason,
    };
  }
  const total = source.total_calls ?? summary.tools.reduce((sum, t) => sum + t.calls, 0);
  const restTools = summary.tools.slice(TOOLS_SHOWN);
  const restClients = summary.clients.slice(CLIENTS_SHOWN);
  return {
    metric: METRIC,
    tools: summary.tools.slice(0, TOOLS_SHOWN).map((t) => ({
      name: t.tool,
      calls: t.calls,
      formatted: formatCount(t.calls),
      share: formatShare(t.calls, total),
      previous: t.previous_calls,
      ...(t.previous_calls === null ? {} : { delta: computeDelta(t.calls, t.previous_calls) }),
    })),
    moreTools: restTools.length,
    moreToolCalls: restTools.reduce((sum, t) => sum + t.calls, 0),
    clients: summary.clients.slice(0, CLIENTS_SHOWN).map((c) => ({
      name: c.client,
      calls: c.calls,
      people: c.people,
      previous: c.previous_calls,
      callsLabel: pluralize(c.calls, 'call'),
      peopleLabel: pluralize(c.people, 'person', 'people'),
    })),
    moreClients: restClients.length,
    moreClientCalls: restClients.reduce((sum, c) => sum + c.calls, 0),
  };
}
