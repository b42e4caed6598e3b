/**
 * The SES checks of the reports that send email:
 * - each sender is a verified identity, itself or its domain (v1 `GetIdentityVerificationAttributes`,
 *   one call for every address and domain of the deployment, 100 at a time);
 * - whether the account has production access (SES v2 `GetAccount` → `ProductionAccessEnabled`:
 *   SES v1 has no such flag, and its sending quota only hints at it) and that sending is enabled;
 * - in the sandbox, that each report's recipients are verified too.
 * The sandbox fails its check even when every recipient is verified: there SES also authorizes
 * each send against the recipients' identities, and the stack's role may send only as its
 * senders, so every email would be refused (docs/doctor.md says what to do). A caller that may
 * not read these (the function's own role, which may only send) skips them with the permission named.
 */
import {
  GetIdentityVerificationAttributesCommand,
  type IdentityVerificationAttributes,
  type SESClient,
} from '@aws-sdk/client-ses';
import { GetAccountCommand, type GetAccountCommandOutput, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { ReportDefinition } from '../config/report-definitions';
import { signalUntil } from '../deadline';
import { type Check, fail, isVerdict, ok, skip, type Verdict } from './check';
import { listOf } from './credentials';

/** One SES call (the SDK's retries of throttling included) never takes longer than this. */
const CALL_TIMEOUT_MS = 15_000;
/** GetIdentityVerificationAttributes takes at most 100 identities a call. */
const IDENTITIES_PER_CALL = 100;

export interface SesPreflightOptions {
  readonly ses: SESClient;
  readonly sesv2: SESv2Client;
}

/** The senders, then the account, then each report's recipients. */
export function sesChecks(reports: readonly ReportDefinition[], options: SesPreflightOptions): Check[] {
  const emailReports = reports.filter((r) => r.email);
  if (emailReports.length === 0) return [];
  const ses = new SesFacts(emailReports, options);
  const senders = new Map<string, string[]>();
  for (const r of emailReports) {
    const from = r.email?.from as string;
    senders.set(from, [...(senders.get(from) ?? []), r.name]);
  }
  const checks: Check[] = [...senders].map(([from, names]) => ({
    name: 'ses sender',
    target: `${from}, for ${listOf(names)}`,
    run: (deadline) => ses.sender(from, deadline),
  }));
  checks.push({ name: 'ses account', target: 'sending mode', run: (deadline) => ses.account(deadline) });
  for (const r of emailReports) {
    const to = r.email?.to ?? [];
    checks.push({
      name: 'ses recipients',
      target: `${to.length} of report ${r.name}`,
      run: (deadline) => ses.recipients(to, deadline),
    });
  }
  return checks;
}

/** What an SES error means for a check: a permission the caller lacks (skip), or a failure. */
function sesErrorVerdict(error: unknown, action: string): Verdict {
  const e = error as { name?: unknown; message?: unknown } | undefined;
  const name = typeof e?.name === 'string' ? e.name : 'Error';
  const message = typeof e?.message === 'string' ? e.message.slice(0, 200) : String(error);
  if (name === 'AccessDenied' || name === 'AccessDeniedException') {
    return skip(
      `not checked: the caller may not call ${action} (${name})`,
      `allow ${action} (it takes Resource "*"), or run npm run -s report -- doctor with credentials that may`,
    );
  }
  if (name === 'AbortError' || name === 'TimeoutError') {
    return fail(
      `SES did not answer ${action} in time`,
      'check that SES is reachable from here, then run the check again',
    );
  }
  return fail(
    `SES ${action} failed (${name}: ${message})`,
    'check the region (AWS_REGION) and that SES is reachable from here',
  );
}

/** The deployment's SES facts, each read once and shared by the checks. */
class SesFacts {
  private attributes: Promise<Record<string, IdentityVerificationAttributes> | Verdict> | undefined;
  private accountOutput: Promise<GetAccountCommandOutput | Verdict> | undefined;
  private region: Promise<string> | undefined;

  constructor(
    private readonly reports: readonly ReportDefinition[],
    private readonly options: SesPreflightOptions,
  ) {}

  private regionName(): Promise<string> {
    this.region ??= this.options.ses.config.region().catch(() => 'the configured region');
    return this.region;
  }

  /** Every sender and recipient of the deployment and their domains: one look-up for all the checks. */
  private verification(deadline: number): Promise<Record<string, IdentityVerificationAttributes> | Verdict> {
    this.attributes ??= (async () => {
      const identities = new Set<string>();
      for (const r of this.reports) {
        for (const address of [r.email?.from ?? '', ...(r.email?.to ?? [])]) {
          if (address === '') continue;
          identities.add(address);
          identities.add(domainOf(address));
        }
      }
      const all = [...identities];
      const found: Record<string, IdentityVerificationAttributes> = {};
      try {
        for (let i = 0; i < all.length; i += IDENTITIES_PER_CALL) {
          const out = await this.options.ses.send(
            new GetIdentityVerificationAttributesCommand({ Identities: all.slice(i, i + IDENTITIES_PER_CALL) }),
            { abortSignal: signalUntil(deadline, CALL_TIMEOUT_MS) },
          );
          Object.assign(found, out.VerificationAttributes ?? {});
        }
      } catch (error) {
        return sesErrorVerdict(error, 'ses:GetIdentityVerificationAttributes');
      }
      return found;
    })();
    return this.attributes;
  }

  private accountFacts(deadline: number): Promise<GetAccountCommandOutput | Verdict> {
    this.accountOutput ??= this.options.sesv2
      .send(new GetAccountCommand({}), { abortSignal: signalUntil(deadline, CALL_TIMEOUT_MS) })
      .catch((error: unknown) => sesErrorVerdict(error, 'ses:GetAccount'));
    return this.accountOutput;
  }

  async sender(from: string, deadline: number): Promise<Verdict> {
    const found = await this.verification(deadline);
    if (isVerdict(found)) return found;
    const region = await this.regionName();
    const status = statusOf(from, found);
    if (status.verified) return ok(`verified (${status.via}) in ${region}`);
    const verify = `verify ${from} or its domain ${domainOf(from)} in SES in ${region} (SES console → Identities → Create identity)`;
    return fail(`${status.problem} (region ${region}), so SES refuses to send as it`, status.fix ?? verify);
  }

  async account(deadline: number): Promise<Verdict> {
    const account = await this.accountFacts(deadline);
    if (isVerdict(account)) return account;
    const region = await this.regionName();
    const quota = account.SendQuota
      ? `; quota ${account.SendQuota.Max24HourSend ?? '?'} a day, ${account.SendQuota.MaxSendRate ?? '?'} a second`
      : '';
    if (account.SendingEnabled === false) {
      return fail(
        `sending is paused for the account in ${region} (enforcement status ${account.EnforcementStatus ?? 'unknown'})`,
        "see the SES console's Account dashboard (reputation and enforcement) for why, then resume sending",
      );
    }
    if (account.ProductionAccessEnabled === true) return ok(`production access in ${region}${quota}`);
    return fail(
      `sandbox in ${region}${quota}: SES sends only to verified recipients, and also checks the role's ses:SendEmail permission on each recipient's identity, which the stack grants only on its senders, so the reports' emails would be refused`,
      'request production access (SES console → Account dashboard → Request production access); to try the reports in the sandbox first, see docs/doctor.md "SES sandbox"',
    );
  }

  async recipients(to: readonly string[], deadline: number): Promise<Verdict> {
    const account = await this.accountFacts(deadline);
    if (isVerdict(account)) return skip('not checked: the sending mode is unknown (see the ses account check)');
    if (account.ProductionAccessEnabled === true) return ok('production access: no recipient needs verifying');
    const found = await this.verification(deadline);
    if (isVerdict(found)) return found;
    const unverified = to.filter((address) => !statusOf(address, found).verified);
    if (unverified.length === 0) return ok(`sandbox: all ${to.length} verified`);
    const shown =
      unverified.slice(0, 10).join(', ') + (unverified.length > 10 ? ` and ${unverified.length - 10} more` : '');
    return fail(
      `sandbox: ${unverified.length} of ${to.length} not verified: ${shown}`,
      'verify each (SES console → Identities → Create identity → Email address; the recipient follows the link SES sends), or request production access',
    );
  }
}

/** Whether `address` may be used: verified itself, or through its domain; else what is wrong and the fix. */
function statusOf(
  address: string,
  found: Readonly<Record<string, IdentityVerificationAttributes>>,
): { verified: true; via: string } | { verified: false; problem: string; fix?: string } {
  const own = found[address]?.VerificationStatus;
  const domain = found[domainOf(address)]?.VerificationStatus;
  if (own === 'Success') return { verified: true, via: 'the address' };
  if (domain === 'Success') return { verified: true, via: `its domain ${domainOf(address)}` };
  const status = own ?? domain;
  if (status === 'Pending') {
    return {
      verified: false,
      problem: 'waiting for verification',
      fix: `follow the link SES e-mailed to ${address} (or publish the DNS records SES lists for ${domainOf(address)})`,
    };
  }
  if (status === 'Failed' || status === 'TemporaryFailure') {
    return { verified: false, problem: `verification failed (${status})` };
  }
  return { verified: false, problem: 'neither the address nor its domain is a verified SES identity' };
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}
