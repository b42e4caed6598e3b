/**
 * The command line's usage text, on its own: scripts/report.cjs prints it for `report --help`
 * from its own small bundle (dist/cli/usage.cjs) without loading the CLI; report.ts prints it for
 * every other way of asking.
 */
export const USAGE = `usage: report summarize [--input FILE|-] [--baseline FILE] [--from ISO] [--to ISO]
                        [--format text|json] [--org NAME] [--timezone TZ] [--site SITE] [--user ID|EMAIL]
                        [--baseline-days N] [--timeout SECONDS] [--team HANDLE] [--workers N]
       report render    (summarize's options but --format) --out DIR [--channel SLACK_CHANNEL_ID]
       report preview   (render's options but --input, --baseline) [--out DIR]   fetches from Datadog, sends nothing
       report history   [--weeks N] [--format text|json] [--org NAME | --report NAME] [--archive DIR|s3://BUCKET[/PREFIX]]
       report show      --week YYYY-MM-DD [--format text|json | --out DIR] [--org NAME | --report NAME]
                        [--archive DIR|s3://BUCKET[/PREFIX]]
       report verify    [--archive DIR|s3://BUCKET[/PREFIX]] [--report NAME | --org NAME] [--key KMS_KEY]
                        [--format text|json]   checks every archived week's MAC, objects and chain
       report doctor    [--secret NAME|ARN] [--timeout SECONDS] [--format text|json]   checks a deployment, sends nothing
Try it without Datadog: report summarize --input samples/audit-week.json
An option a command does not take is refused (exit 2), as is --baseline without --input and
--baseline-days with it.
Input: a Datadog audit search response {"data":[…]}, a JSON array of events or responses, or NDJSON.
Without --input, events come from Datadog: DD_API_KEY, DD_APP_KEY (scope audit_logs_read) and
DD_SITE (datadoghq.com, us3.datadoghq.com, datadoghq.eu, uk1.datadoghq.com, …) or DD_API_URL; the
window defaults to the 7 days ending now, with a --baseline-days (28) baseline before it; the fetch
stops after --timeout seconds (600) and the report then says what it could not read. When not one
page of the window could be read there is no report: one line on stderr and exit 1. Tools and MCP
clients come from the datadog.mcp.tool.usage metric (scope timeseries_query), read live only.
Archive: --archive (or ARCHIVE_BUCKET) names the report archive of --org (or of the named report
--report, in a deployment with several). summarize, render and
preview take the baseline from its weeks where they can (live) and add its 12-week trend; render
and preview also archive the report they write. history lists it; show gets one week back;
without --org or --report, both list the reports the archive holds. A --user report neither
reads nor extends the archive (it holds whole org weeks).
--team HANDLE narrows a report to a Datadog team's people (DD_API_KEY, DD_APP_KEY with teams_read),
from a file or live; with --report NAME it uses that team report's archive.
verify needs the archive's KMS HMAC key: --key (the stack output ArchiveMacKeyArn) or
ARCHIVE_MAC_KEY, with AWS credentials allowed kms:VerifyMac on it; it exits 1 on any break.
--workers N: threads that parse JSON beside the main one (default: one per core, at most 4; 0: none).`;
