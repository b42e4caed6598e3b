/**
 * Narrowed Audit Trail links, the targets of "and N more": the window's query with terms added,
 * the host and time range kept, and `(unknown)` meaning a missing attribute.
 */
import { anyOfTerm, auditTrailLink, excludeTerms, narrowAuditLink } from '../../../functions/weekly-report/core/links';

describe('narrowAuditLink', () => {
  it('adds terms to the query and keeps host and time range', () => {
    // Prepare
    const base = auditTrailLink('datadoghq.eu', 1_000, 2_000);

    // Act
    const url = new URL(narrowAuditLink(base, excludeTerms('asset.type', ['dashboard', '(unknown)'])));

    // Assess
    expect(url.host).toBe('app.datadoghq.eu');
    expect(url.searchParams.get('query')).toBe('@evt.name:"MCP Server" -@asset.type:"dashboard" @asset.type:*');
    expect(url.searchParams.get('from_ts')).toBe('1000');
    expect(url.searchParams.get('to_ts')).toBe('2000');
  });

  it('returns anything that is not a URL unchanged', () => {
    expect(narrowAuditLink('not a url', ['@action:"x"'])).toBe('not a url');
  });
});

describe('anyOfTerm', () => {
  it('quotes each value and joins several with OR', () => {
    expect(anyOfTerm('action', ['deleted'])).toBe('@action:"deleted"');
    expect(anyOfTerm('action', ['a"b', 'c'])).toBe('(@action:"a\\"b" OR @action:"c")');
  });
});
