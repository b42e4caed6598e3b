/**
 * The Microsoft Teams check of one org: each Teams channel its reports post to has a usable
 * workflow webhook URL in the org's credentials (`teamsWebhooks.<channel>`: present, https, not a
 * retired Office 365 connector). The webhook itself is not called: a Teams workflow's trigger has
 * no request that posts nothing (it takes any POST, answers 202 and runs the workflow, whose
 * "Post card" step posts whatever it got, or fails the run and mails its owner), and no read-only
 * method. So a URL that passes is a `skip` that says it was not called; a missing or unusable one
 * fails with the fix. The URL is never printed (only its host).
 */
import { teamsWebhookOf } from '../adapters/secrets';
import type { ReportDefinition } from '../config/report-definitions';
import type { Credentials } from '../ports';
import { type Check, fail, skip, type Verdict } from './check';
import { type CredentialSource, listOf } from './credentials';

/** One check per Teams channel the org's reports post to. */
export function teamsChecks(reports: readonly ReportDefinition[], credentials: CredentialSource): Check[] {
  const channels = new Map<string, string[]>();
  for (const r of reports) {
    if (!r.msTeams) continue;
    channels.set(r.msTeams.channel, [...(channels.get(r.msTeams.channel) ?? []), r.name]);
  }
  return [...channels].map(([channel, names]) => ({
    name: 'teams webhook',
    target: `teamsWebhooks.${channel}, for ${listOf(names)}`,
    run: async (): Promise<Verdict> => {
      let loaded: Credentials;
      try {
        loaded = await credentials.load();
      } catch {
        return skip('the credentials could not be read (see the credentials check)');
      }
      const webhook = teamsWebhookOf(loaded, channel);
      if ('problem' in webhook) {
        return fail(
          webhook.problem,
          `store the URL of the workflow's trigger ("When a Teams webhook request is received") as "teamsWebhooks": {"${channel}": "https://…"} in ${credentials.target} (docs/teams.md)`,
        );
      }
      const url = new URL(webhook.url);
      const how = url.protocol === 'https:' ? 'https' : 'plain http to a loopback stand-in';
      return skip(
        `URL present (${how}, ${url.host}); not called: a Teams workflow takes no request that posts nothing, so only a real post tests it`,
        `after the next run, see the channel (or the workflow's run history in Power Automate); the run's teams outcome says whether the webhook took the card`,
      );
    },
  }));
}
