/**
 * Test fixture: the example of issue 15 and the README, a `reports` list of three reports over
 * two Datadog orgs as cdk.json would hold it. Security gets Acme's org-wide report by e-mail
 * (everything inherited), the SRE team its team-scoped Acme report in Slack (e-mail turned off),
 * and Globex's report goes to its own list, read with its own secret from its own site.
 */

/** The reports, in cdk.json form. Each call returns a fresh copy, so a test may change its own. */
export function twoOrgReports(): Record<string, unknown>[] {
  return [
    { name: 'security' },
    { name: 'sre-team', emailTo: [], slackChannel: 'C0SRE00001', scope: { teams: ['sre'] } },
    {
      name: 'globex',
      orgName: 'Globex',
      datadogSite: 'datadoghq.eu',
      secretName: 'ai-activity-audit/globex',
      emailFrom: 'audit@globex.example',
      emailTo: ['secops@globex.example'],
      timezone: 'europe/berlin',
      thresholds: { burstCalls: 50 },
    },
  ];
}

/** The context overrides (on top of cdk.json) of a deployment that sends twoOrgReports(). */
export function twoOrgContext(): Record<string, unknown> {
  return {
    orgName: 'Acme',
    secretName: 'ai-activity-audit/acme',
    emailFrom: 'audit@acme.example',
    emailTo: ['security@acme.example'],
    reports: twoOrgReports(),
  };
}
