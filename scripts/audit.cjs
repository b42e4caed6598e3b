/**
 * `npm run audit`: the dependency advisories npm's advisory service knows of, for the whole tree
 * and for what ships (the production dependencies the function bundle is made from; development
 * ones, such as the S3 stand-in, never reach Lambda). One line per advisory: the package and the
 * version range affected, severity, whether it ships, the chain that brings it in, the fix, and
 * the advisory's address.
 *
 * Exit code: 1 when an advisory touches a production dependency (the bundle may carry it: look
 * at it now); 0 when every advisory is development-only (listed, and weighed in docs/security.md),
 * when there are none, and when no advisory service can be reached (a registry proxy that answers
 * the audit endpoint with 405, or no network): it says so and that nothing was checked, rather
 * than fail a build that has no way to check.
 *
 * Plain CommonJS with no dependencies, so it runs before anything is built; the pure parts are
 * exported for test/unit/audit-script.test.ts.
 */
'use strict';

const { spawnSync } = require('node:child_process');

/** npm's answer to `npm audit --json [args]`: stdout, stderr and exit status. */
function runNpmAudit(args) {
  const run = spawnSync('npm', ['audit', '--json', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
    shell: process.platform === 'win32',
  });
  return { stdout: run.stdout ?? '', stderr: run.stderr ?? '', status: run.status, error: run.error };
}

/**
 * The report of one `npm audit --json` run, or why there is none: npm exits non-zero both when
 * it finds advisories (with a report) and when it cannot ask (with an error object, or nothing).
 */
function readAudit(run) {
  let report;
  try {
    report = JSON.parse(run.stdout);
  } catch {
    const line = `${run.stderr}`.split('\n').find((l) => l.trim() !== '') ?? run.error?.message ?? 'no answer';
    return { ok: false, why: line.trim().slice(0, 200) };
  }
  if (report && typeof report.vulnerabilities === 'object' && report.vulnerabilities !== null) {
    return { ok: true, report };
  }
  const why =
    report?.message ?? report?.error?.summary ?? report?.error?.code ?? 'an answer that is not an audit report';
  return { ok: false, why: String(why).slice(0, 200) };
}

/**
 * Each advisory of a report (npm audit JSON, report version 2): `vulnerabilities[name].via` holds
 * the advisories of that package itself as objects (and, as strings, the packages it is
 * vulnerable through); `effects` names the packages that depend on it.
 */
function advisoriesOf(report) {
  const out = [];
  const vulnerabilities = report.vulnerabilities ?? {};
  for (const [name, entry] of Object.entries(vulnerabilities)) {
    for (const via of entry.via ?? []) {
      if (typeof via !== 'object' || via === null) continue;
      out.push({
        package: via.name ?? name,
        range: via.range ?? entry.range ?? '*',
        severity: via.severity ?? entry.severity ?? 'unknown',
        title: via.title ?? '',
        url: via.url ?? '',
        id: idOf(via.url) ?? String(via.source ?? ''),
        broughtBy: chainOf(name, vulnerabilities),
        fix: fixOf(entry.fixAvailable),
      });
    }
  }
  return out.sort((a, b) => a.package.localeCompare(b.package) || a.id.localeCompare(b.id));
}

/** `GHSA-xxxx-xxxx-xxxx` of an advisory address. */
function idOf(url) {
  const match = /GHSA(-[0-9a-z]{4}){3}/i.exec(url ?? '');
  return match ? match[0] : undefined;
}

/** The packages that bring `name` in, up to a top-level one: `s3rver > busboy > dicer`. */
function chainOf(name, vulnerabilities) {
  const chain = [name];
  let current = vulnerabilities[name];
  const seen = new Set(chain);
  while (current && !current.isDirect) {
    const parent = (current.effects ?? []).find((p) => !seen.has(p));
    if (parent === undefined) break;
    chain.unshift(parent);
    seen.add(parent);
    current = vulnerabilities[parent];
  }
  return chain.join(' > ');
}

function fixOf(fixAvailable) {
  if (fixAvailable === true) return 'npm audit fix';
  if (fixAvailable && typeof fixAvailable === 'object') {
    return `${fixAvailable.name}@${fixAvailable.version}${fixAvailable.isSemVerMajor ? ' (a major version)' : ''}`;
  }
  return 'no fix';
}

/**
 * What the script prints and its exit code, from the whole tree's audit and the production
 * tree's (`--omit=dev`): each advisory marked shipped or development-only.
 */
function formatAudit(all, production) {
  if (!all.ok) {
    return {
      code: 0,
      text:
        `npm audit: no advisory service could be reached (${all.why}); nothing was checked.\n` +
        'The advisories known when docs/security.md was last written are listed there ("Dependencies").\n',
    };
  }
  const shipped = new Set(production.ok ? advisoriesOf(production.report).map((a) => `${a.package}|${a.id}`) : []);
  const advisories = advisoriesOf(all.report);
  if (advisories.length === 0) return { code: 0, text: 'npm audit: no known advisories.\n' };
  const lines = advisories.map((a) => {
    const ships = !production.ok
      ? 'ships: unknown'
      : shipped.has(`${a.package}|${a.id}`)
        ? 'SHIPS'
        : 'development only';
    return `- ${a.package} ${a.range} [${a.severity}, ${ships}] ${a.id} ${a.title}\n    via ${a.broughtBy}; fix: ${a.fix}; ${a.url}`;
  });
  const shipping = advisories.filter((a) => shipped.has(`${a.package}|${a.id}`)).length;
  const unknown = production.ok ? '' : ` (the production tree could not be audited: ${production.why})`;
  return {
    code: shipping > 0 ? 1 : 0,
    text:
      `npm audit: ${advisories.length} advisor${advisories.length === 1 ? 'y' : 'ies'}, ${shipping} in what ships${unknown}:\n` +
      `${lines.join('\n')}\n`,
  };
}

function main() {
  const all = readAudit(runNpmAudit([]));
  const production = all.ok ? readAudit(runNpmAudit(['--omit=dev'])) : all;
  const { code, text } = formatAudit(all, production);
  process.stdout.write(text);
  return code;
}

module.exports = { readAudit, advisoriesOf, formatAudit };

if (require.main === module) process.exitCode = main();
