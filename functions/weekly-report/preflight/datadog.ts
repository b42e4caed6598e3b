/**
 * The Datadog checks of one org (the reports that share a secret and a site): the API key is
 * valid at the site; the application key has each scope the org's reports use (audit_logs_read
 * always, timeseries_query for the tools and clients of the usage metric, teams_read where a
 * report is scoped to teams); and each team-scoped report's teams resolve to their members. The
 * requests are datadog-probes.ts; a scope check runs only once the API key passed, since a 403
 * then says which scope is missing rather than that the keys are wrong.
 */

import type { Transport } from '../adapters/datadog/client';
import { DatadogApiError, DatadogAuthError } from '../adapters/datadog/errors';
import type { DatadogAdapterOptions } from '../adapters/datadog/options';
import { createDatadogTeamDirectory } from '../adapters/datadog/team-directory';
import type { ReportDefinition } from '../config/report-definitions';
import { TeamResolutionError } from '../errors';
import type { Credentials, Logger } from '../ports';
import { type Check, fail, isVerdict, ok, skip, type Verdict } from './check';
import type { CredentialSource } from './credentials';
import { listOf } from './credentials';
import { createDatadogProbes, type DatadogProbes, type ProbeName } from './datadog-probes';

export interface DatadogPreflightOptions {
  /** The HTTP transport. @default the global fetch; the command line's is node:http */
  readonly fetch?: Transport;
  readonly logger?: Logger;
}

/** A scope, what a request with it does, and which reports need it. */
interface ScopeProbe {
  readonly scope: 'audit_logs_read' | 'timeseries_query' | 'teams_read';
  readonly probe: ProbeName;
  readonly allows: string;
  readonly without: string;
}

const SCOPES: readonly ScopeProbe[] = [
  {
    scope: 'audit_logs_read',
    probe: 'auditSearch',
    allows: 'searches the audit trail (one event of the last minute)',
    without: 'without it there is no report',
  },
  {
    scope: 'timeseries_query',
    probe: 'metricQuery',
    allows: 'queries the datadog.mcp.tool.usage metric (one row of the last minute)',
    without: 'without it the reports show no tools and MCP clients',
  },
  {
    scope: 'teams_read',
    probe: 'teamsPage',
    allows: 'reads Datadog Teams (one team of the team search)',
    without: 'without it a team-scoped report fails',
  },
];

/** The org's Datadog checks, in order: the API key, each scope its reports need, each team-scoped report's teams. */
export function datadogChecks(
  reports: readonly ReportDefinition[],
  credentials: CredentialSource,
  options: DatadogPreflightOptions = {},
): Check[] {
  const first = reports[0];
  if (!first) return [];
  const teamReports = reports.filter((r) => (r.scope?.teams?.length ?? 0) > 0);
  const org = new DatadogOrg(first, credentials, options, teamReports[0]?.scope?.teams?.[0] ?? '');
  const target = first.datadogApiUrl ? `the API at ${new URL(first.datadogApiUrl).host}` : `site ${first.site}`;
  const checks: Check[] = [{ name: 'datadog api key', target, run: (deadline) => org.apiKey(deadline) }];
  for (const scope of SCOPES) {
    if (scope.scope === 'teams_read' && teamReports.length === 0) continue;
    const needs = scope.scope === 'teams_read' ? teamReports.map((r) => r.name) : reports.map((r) => r.name);
    checks.push({
      name: `datadog scope ${scope.scope}`,
      target: `application key, for ${listOf(needs)}`,
      run: (deadline) => org.scope(scope, deadline),
    });
  }
  for (const report of teamReports) {
    const handles = report.scope?.teams ?? [];
    checks.push({
      name: 'datadog teams',
      target: `${listOf(handles.map((h) => `@${h}`))} of report ${report.name}`,
      run: (deadline) => org.teams(handles, deadline),
    });
  }
  return checks;
}

/** One org's checks share its credentials, its probes and the verdicts later checks depend on. */
class DatadogOrg {
  private adapter: Promise<DatadogAdapterOptions | Verdict> | undefined;
  private probes: Promise<DatadogProbes | Verdict> | undefined;
  private apiKeyVerdict: Promise<Verdict> | undefined;
  /** Each scope's verdict, asked once: the teams check waits on teams_read's. */
  private readonly scopeVerdicts = new Map<string, Promise<Verdict>>();

  constructor(
    private readonly report: ReportDefinition,
    private readonly credentials: CredentialSource,
    private readonly options: DatadogPreflightOptions,
    private readonly teamKeyword: string,
  ) {}

  /** The adapters' options with the org's keys, or a skip when there are no credentials. */
  private adapterOptions(): Promise<DatadogAdapterOptions | Verdict> {
    this.adapter ??= this.credentials.load().then(
      (creds: Credentials): DatadogAdapterOptions => ({
        apiKey: creds.ddApiKey,
        appKey: creds.ddAppKey,
        site: this.report.site,
        ...(this.report.datadogApiUrl ? { baseUrl: this.report.datadogApiUrl } : {}),
        // Three attempts: a check says Datadog is unreachable within seconds, not minutes.
        maxAttempts: 3,
        // A check waits a little for a rate limit, never the minute a report may.
        maxRateLimitWaitMs: 10_000,
        requestTimeoutMs: 10_000,
        ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
        ...(this.options.logger ? { logger: this.options.logger } : {}),
      }),
      () => skip(`not checked: no credentials (${this.credentials.target}: see the credentials check)`),
    );
    return this.adapter;
  }

  private datadogProbes(): Promise<DatadogProbes | Verdict> {
    this.probes ??= this.adapterOptions().then((o) => (isVerdict(o) ? o : createDatadogProbes(o, this.teamKeyword)));
    return this.probes;
  }

  apiKey(deadline: number): Promise<Verdict> {
    this.apiKeyVerdict ??= this.checkApiKey(deadline);
    return this.apiKeyVerdict;
  }

  private async checkApiKey(deadline: number): Promise<Verdict> {
    const probes = await this.datadogProbes();
    if (isVerdict(probes)) return probes;
    const site = this.report.datadogApiUrl ? 'DD_API_URL' : `site ${this.report.site}`;
    return this.verdictOf(probes, 'apiKey', deadline, {
      ok: 'valid',
      refused: (status) => `Datadog refused the API key (HTTP ${status}) at ${probes.where}`,
      fix: `set ddApiKey to an API key (Organization Settings → API Keys) of the org at ${site}: a key of another site's org is refused there (datadogSite / DATADOG_SITE)`,
    });
  }

  scope(scope: ScopeProbe, deadline: number): Promise<Verdict> {
    let verdict = this.scopeVerdicts.get(scope.scope);
    if (!verdict) {
      verdict = this.checkScope(scope, deadline);
      this.scopeVerdicts.set(scope.scope, verdict);
    }
    return verdict;
  }

  private async checkScope(scope: ScopeProbe, deadline: number): Promise<Verdict> {
    const apiKey = await this.apiKey(deadline);
    // No credentials: the same skip. A refused API key: a 403 would say nothing about the scope.
    if (apiKey.status === 'skip') return apiKey;
    if (apiKey.status !== 'ok') return skip('not checked: the API key did not pass (see the datadog api key check)');
    const probes = await this.datadogProbes();
    if (isVerdict(probes)) return probes;
    return this.verdictOf(probes, scope.probe, deadline, {
      ok: `the application key ${scope.allows}`,
      refused: (status) =>
        `Datadog refused the ${scope.probe === 'auditSearch' ? 'audit search' : scope.probe === 'metricQuery' ? 'metric query' : 'team search'} (HTTP ${status}) at ${probes.where}: the application key lacks ${scope.scope} (${scope.without}), or is not an application key of this org`,
      fix: `give the application key the ${scope.scope} scope (Organization Settings → Application Keys → the key → Edit scopes), or check ddAppKey`,
    });
  }

  async teams(handles: readonly string[], deadline: number): Promise<Verdict> {
    const teamsRead = SCOPES.find((s) => s.scope === 'teams_read') as ScopeProbe;
    if ((await this.scope(teamsRead, deadline)).status !== 'ok')
      return skip('not checked: the application key may not read Datadog Teams');
    const options = await this.adapterOptions();
    if (isVerdict(options)) return options;
    try {
      const teams = await createDatadogTeamDirectory(options).resolve(handles, { deadline });
      return ok(teams.map((t) => `@${t.handle} (${t.name}): ${t.members.length} members`).join('; '));
    } catch (error) {
      if (error instanceof TeamResolutionError) {
        return fail(
          error.message,
          'name each team by its handle as Datadog → Teams shows it (not its display name) in the report’s scope.teams',
        );
      }
      throw error;
    }
  }

  /** Runs `probe`: ok, or a failure naming what was refused or why it gave up, and the fix. */
  private async verdictOf(
    probes: DatadogProbes,
    probe: ProbeName,
    deadline: number,
    words: { ok: string; refused: (status: number) => string; fix: string },
  ): Promise<Verdict> {
    try {
      const outcome = await probes.run(probe, deadline);
      if (outcome.ok) return ok(words.ok);
      return fail(
        `Datadog did not answer: ${outcome.cause}`,
        `check that ${probes.where} is reachable from here (proxy, firewall, a VPC without a NAT gateway), then run the check again`,
      );
    } catch (error) {
      if (error instanceof DatadogAuthError) return fail(words.refused(error.status), words.fix);
      // A 200 that carries Datadog's errors answered the request: the key passed.
      if (error instanceof DatadogApiError && error.status === 200) return ok(`${words.ok} (${error.message})`);
      if (error instanceof DatadogApiError) {
        return fail(
          error.message,
          `Datadog rejected the request at ${probes.where}: check DD_API_URL / the site, or report it (an API change?)`,
        );
      }
      throw error;
    }
  }
}
