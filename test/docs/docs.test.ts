/**
 * The docs stay true to the repository (README.md, docs/*.md, samples/README.md):
 * - every relative link resolves to a file, and an anchor, when given, to a heading of it;
 * - every repository path named in backticks (`functions/weekly-report/core/aggregate.ts`, or the
 *   shorthand `core/aggregate.ts` under functions/weekly-report/) exists;
 * - every test a page cites (`` `test/….test.ts` › describe › test ``) has those titles in that file;
 * - every command-line example that needs no credentials runs: each line of a ```sh block that
 *   starts with `npm run -s report` is run as `node scripts/report.cjs …` in a temporary folder
 *   holding a link to samples/, the blocks of a page in order, with no Datadog or AWS variable set,
 *   and must exit 0. A block that needs credentials or AWS says so on the line before it:
 *   `<!-- not run: reason -->`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '../..');
const FUNCTION_ROOT = 'functions/weekly-report';
/** Folders of the repository that are not its own files (installed, built, written by runs). */
const NOT_SOURCE = new Set(['node_modules', 'dist', 'out', 'cdk.out', '.git', '.bench', 'coverage']);
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
  'samples/README.md',
];
const RUNNER = 'npm run -s report';
const NOT_RUN = /^<!--\s*not run:\s*\S.*-->$/;

interface Fence {
  readonly line: number;
  readonly info: string;
  /** The line before the opening fence (blank lines skipped). */
  readonly before: string;
  readonly body: ReadonlyArray<{ readonly line: number; readonly text: string }>;
}

interface Page {
  readonly path: string;
  /** The text outside fenced blocks, each fenced line blanked, so offsets keep their line numbers. */
  readonly prose: string;
  readonly fences: readonly Fence[];
}

function readPage(path: string, text = readFileSync(join(ROOT, path), 'utf8')): Page {
  const lines = text.split('\n');
  const prose: string[] = [];
  const fences: Fence[] = [];
  let open: { marker: string; line: number; info: string; before: string; body: Fence['body'][number][] } | undefined;
  lines.forEach((line, i) => {
    const fence = /^\s*(`{3,}|~{3,})\s*(.*)$/.exec(line);
    if (open === undefined && fence) {
      const before = lines
        .slice(0, i)
        .reverse()
        .find((l) => l.trim() !== '');
      open = {
        marker: fence[1] as string,
        line: i + 1,
        info: (fence[2] ?? '').trim(),
        before: before?.trim() ?? '',
        body: [],
      };
      prose.push('');
    } else if (open !== undefined) {
      const trimmed = line.trim();
      if (trimmed.startsWith(open.marker) && /^(`+|~+)$/.test(trimmed) && trimmed[0] === open.marker[0]) {
        fences.push({ line: open.line, info: open.info, before: open.before, body: open.body });
        open = undefined;
      } else open.body.push({ line: i + 1, text: line });
      prose.push('');
    } else prose.push(line);
  });
  return { path, prose: prose.join('\n'), fences };
}

function lineAt(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

/** Inline code spans of the prose, with where each is: a span never crosses a blank line. */
function codeSpans(prose: string): Array<{ readonly text: string; readonly start: number; readonly end: number }> {
  const spans: Array<{ text: string; start: number; end: number }> = [];
  const blocks = /(?:[^\n]|\n(?!\s*\n))+/g;
  for (const block of prose.matchAll(blocks)) {
    const text = block[0];
    const base = block.index ?? 0;
    let i = 0;
    while (i < text.length) {
      if (text[i] !== '`') {
        i++;
        continue;
      }
      let n = 0;
      while (text[i + n] === '`') n++;
      const close = findRun(text, i + n, n);
      if (close < 0) {
        i += n;
        continue;
      }
      spans.push({
        text: text
          .slice(i + n, close)
          .replace(/\n/g, ' ')
          .trim(),
        start: base + i,
        end: base + close + n,
      });
      i = close + n;
    }
  }
  return spans;
}

/** The next run of exactly `n` backticks at or after `from`, or -1. */
function findRun(text: string, from: number, n: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] !== '`') continue;
    let m = 0;
    while (text[i + m] === '`') m++;
    if (m === n) return i;
    i += m - 1;
  }
  return -1;
}

/** The prose with every code span blanked (its length kept), so a link inside code is not a link. */
function withoutCode(prose: string): string {
  let out = prose;
  for (const span of codeSpans(prose)) {
    out = out.slice(0, span.start) + ' '.repeat(span.end - span.start) + out.slice(span.end);
  }
  return out;
}

/** GitHub's anchor of a heading: lower case, punctuation and symbols dropped, each space a hyphen; repeats numbered. */
function headingAnchors(page: Page): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of page.prose.split('\n')) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const text = (heading[1] ?? '')
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .replace(/`/g, '');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Every problem with the relative links of a page: a target that is not a file, an anchor that is no heading. */
function linkProblems(page: Page, read: (path: string) => Page = readPage): string[] {
  const problems: string[] = [];
  const prose = withoutCode(page.prose);
  const targets: Array<{ target: string; offset: number }> = [];
  for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    targets.push({ target: m[1] as string, offset: m.index ?? 0 });
  }
  for (const m of prose.matchAll(/<(?:img|a)\s[^>]*?(?:src|href)="([^"]+)"/g)) {
    targets.push({ target: m[1] as string, offset: m.index ?? 0 });
  }
  for (const { target, offset } of targets) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const where = `${page.path}:${lineAt(page.prose, offset)}`;
    const [file = '', anchor] = target.split('#', 2);
    const path = file === '' ? page.path : relative(ROOT, join(ROOT, dirname(page.path), decodeURI(file)));
    if (file !== '' && (path.startsWith('..') || !existsSync(join(ROOT, path)))) {
      problems.push(`${where}: ${target} is not a file of the repository`);
      continue;
    }
    if (anchor === undefined || anchor === '') continue;
    if (!path.endsWith('.md')) {
      problems.push(`${where}: ${target} has an anchor, but ${path} has no headings`);
      continue;
    }
    if (!headingAnchors(path === page.path ? page : read(path)).has(anchor)) {
      problems.push(`${where}: ${target}: ${path} has no heading whose anchor is #${anchor}`);
    }
  }
  return problems;
}

/** The folders a path in backticks may start with: the repository's, or the function's (`core/…`). */
function topFolders(dir: string): Set<string> {
  return new Set(
    readdirSync(join(ROOT, dir), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !NOT_SOURCE.has(entry.name))
      .map((entry) => entry.name),
  );
}
const ROOT_FOLDERS = topFolders('.');
const FUNCTION_FOLDERS = topFolders(FUNCTION_ROOT);

/** Every repository path a page names in backticks that does not exist. */
function pathProblems(page: Page): string[] {
  const problems: string[] = [];
  for (const span of codeSpans(page.prose)) {
    const path = span.text;
    // A path: no spaces, placeholders or wildcards; a folder of the repository first.
    if (!/^[\w.@-]+(\/[\w.@-]*)+$/.test(path)) continue;
    const first = path.split('/')[0] as string;
    const candidates = [
      ...(ROOT_FOLDERS.has(first) ? [path] : []),
      ...(FUNCTION_FOLDERS.has(first) ? [`${FUNCTION_ROOT}/${path}`] : []),
    ];
    if (candidates.length === 0) continue;
    if (!candidates.some((candidate) => existsSync(join(ROOT, candidate)))) {
      problems.push(`${page.path}:${lineAt(page.prose, span.start)}: \`${path}\` does not exist`);
    }
  }
  return problems;
}

const JEST_BLOCKS = new Set(['describe', 'it', 'test']);

/** `it`, `describe.skip`, `it.each(table)`: a call whose first argument is a describe or test title. */
function isTitled(callee: ts.Expression): boolean {
  if (ts.isIdentifier(callee)) return JEST_BLOCKS.has(callee.text);
  if (ts.isPropertyAccessExpression(callee)) return isTitled(callee.expression);
  if (ts.isCallExpression(callee)) return isTitled(callee.expression);
  return false;
}

/** The titles of a test file's describes and tests, as written; a template (`%s`, `$name`, `${…}`) as a pattern. */
function titlesOf(file: string): { readonly literal: Set<string>; readonly patterns: RegExp[] } {
  const source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, false);
  const literal = new Set<string>();
  const patterns: RegExp[] = [];
  const quoteRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const placeholders = (text: string) =>
    text
      .split(/(%[sdifjop#]|\$[\w.]+)/)
      .map((part, i) => (i % 2 === 1 ? '.+?' : quoteRegExp(part)))
      .join('');
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && isTitled(node.expression)) {
      const title = node.arguments[0];
      if (title && (ts.isStringLiteral(title) || ts.isNoSubstitutionTemplateLiteral(title))) {
        literal.add(title.text);
        patterns.push(new RegExp(`^${placeholders(title.text)}$`));
      } else if (title && ts.isTemplateExpression(title)) {
        const parts = [title.head.text, ...title.templateSpans.map((span) => span.literal.text)];
        patterns.push(new RegExp(`^${parts.map(placeholders).join('.+?')}$`));
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { literal, patterns };
}

/** Every test a page cites (`` `test/x.test.ts` › describe › test; › another test ``) that is not in its file. */
function citationProblems(page: Page): string[] {
  const problems: string[] = [];
  const spans = codeSpans(page.prose);
  for (const span of spans) {
    if (!/^test\/\S+\.test\.ts$/.test(span.text)) continue;
    const rest = page.prose.slice(span.end);
    if (!/^\s*›/.test(rest)) continue;
    const where = `${page.path}:${lineAt(page.prose, span.start)}`;
    if (!existsSync(join(ROOT, span.text))) {
      problems.push(`${where}: ${span.text} does not exist`);
      continue;
    }
    const titles = titlesOf(span.text);
    // The citation runs to the end of its table cell or line, or to the next file's citation.
    const cell = (/^[^\n]*/.exec(rest)?.[0] ?? '').split(/(?<!\\)\||;\s*`test\/|<br>/)[0] ?? '';
    for (const test of cell.split(/;\s*(?=›)/)) {
      for (const segment of test.split('›')) {
        const title = segment.trim().replace(/\s*\(all\)$/, '');
        if (title === '') continue;
        if (!titles.literal.has(title) && !titles.patterns.some((p) => p.test(title))) {
          problems.push(`${where}: ${span.text} has no describe or test titled "${title}"`);
        }
      }
    }
  }
  return problems;
}

/** The words of one command line, as sh reads them; refuses what would need a shell (pipes, variables, …). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '$' || line[j] === '`') throw new Error(`${line[j]} needs a shell, in: ${line}`);
        if (line[j] === '\\' && /["\\$`]/.test(line[j + 1] ?? '')) j++;
        text += line[j];
      }
      if (j >= line.length) throw new Error(`unterminated " in: ${line}`);
      word = (word ?? '') + text;
      i = j;
    } else if (c === '\\') {
      word = (word ?? '') + (line[i + 1] ?? '');
      i++;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (/[|&;<>()$`*?[\]{}~…]/.test(c)) {
      throw new Error(`"${c}" needs a shell or is a placeholder, in: ${line}`);
    } else word = (word ?? '') + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** A line without its comment (` # …` outside quotes). */
function withoutComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) return line.slice(0, i).trimEnd();
  }
  return line;
}

interface Example {
  /** `docs/cli.md:58` */
  readonly where: string;
  readonly command: string;
}

/** The runnable examples of a page: the `npm run -s report` lines of its ```sh blocks that are not marked. */
function examplesOf(page: Page): Example[] {
  const examples: Example[] = [];
  for (const fence of page.fences) {
    if (fence.info.split(/\s+/)[0] !== 'sh' || NOT_RUN.test(fence.before)) continue;
    let pending: { line: number; text: string } | undefined;
    for (const { line, text } of fence.body) {
      const joined = pending ? { line: pending.line, text: `${pending.text} ${text.trim()}` } : { line, text };
      if (/\\\s*$/.test(joined.text)) {
        pending = { line: joined.line, text: joined.text.replace(/\\\s*$/, '') };
        continue;
      }
      pending = undefined;
      const command = withoutComment(joined.text).trim();
      if (command === RUNNER || command.startsWith(`${RUNNER} `)) {
        examples.push({ where: `${page.path}:${joined.line}`, command });
      }
    }
  }
  return examples;
}

/** The environment of an example: nothing that would reach Datadog, Slack or AWS. */
function credentialFreeEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const reaches = /^(DD_|AWS_|SLACK_|EMAIL_|ARCHIVE_BUCKET$|ORG_NAME$|SECRET_ID$|REPORTS_FILE$|DATADOG_SITE$)/;
  for (const [name, value] of Object.entries(process.env)) if (!reaches.test(name)) env[name] = value;
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  return env;
}

const pages = PAGES.map((path) => readPage(path));

describe('the docs', () => {
  it('link only to files of the repository, and to headings that exist', () => {
    // Act
    const problems = pages.flatMap((page) => linkProblems(page));

    // Assess
    expect(problems).toEqual([]);
  });

  it('name only repository paths that exist', () => {
    // Act
    const problems = pages.flatMap(pathProblems);

    // Assess
    expect(problems).toEqual([]);
  });

  it('cite only tests that are in the files they name', () => {
    // Act
    const problems = pages.flatMap(citationProblems);
    const cited = pages.flatMap((page) => codeSpans(page.prose)).filter((s) => /^test\/\S+\.test\.ts$/.test(s.text));

    // Assess
    expect(problems).toEqual([]);
    expect(cited.length).toBeGreaterThan(50);
  });

  it("start the README's trying with the sample export, a command that needs no credentials", () => {
    // Act
    const readme = pages.find((page) => page.path === 'README.md') as Page;
    const [first] = examplesOf(readme);

    // Assess
    expect(first?.command).toBe(`${RUNNER} -- summarize --input samples/audit-week.json`);
  });

  it('find a broken link, a missing path, an unknown test and a command needing a shell in a page made to hold them', () => {
    // Prepare
    const page = readPage(
      'docs/made-up.md',
      [
        '# Made up',
        '',
        'See [nowhere](nowhere.md), [a heading](cli.md#no-such-heading) and [this one](#made-up).',
        'The code is in `functions/weekly-report/core/no-such-file.ts` and `core/aggregate.ts`.',
        '| a | `test/docs/docs.test.ts` › the docs › writes poems |',
        '',
        '```sh',
        'npm run -s report -- summarize --input samples/audit-week.json | head',
        '```',
      ].join('\n'),
    );

    // Act
    const links = linkProblems(page);
    const paths = pathProblems(page);
    const citations = citationProblems(page);
    const [example] = examplesOf(page);

    // Assess
    expect(links).toEqual([
      'docs/made-up.md:3: nowhere.md is not a file of the repository',
      'docs/made-up.md:3: cli.md#no-such-heading: docs/cli.md has no heading whose anchor is #no-such-heading',
    ]);
    expect(paths).toEqual(['docs/made-up.md:4: `functions/weekly-report/core/no-such-file.ts` does not exist']);
    expect(citations).toEqual([
      'docs/made-up.md:5: test/docs/docs.test.ts has no describe or test titled "writes poems"',
    ]);
    expect(() => shellWords(example?.command ?? '')).toThrow(/"\|" needs a shell/);
  });
});

const runnable = pages.map((page) => ({ page, examples: examplesOf(page) })).filter((p) => p.examples.length > 0);

describe.each(runnable.map((p) => [p.page.path, p] as const))('the command-line examples of %s', (_, { examples }) => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'docs-examples-'));
    symlinkSync(join(ROOT, 'samples'), join(dir, 'samples'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(examples.map((e) => [`${e.where} ${e.command.slice(RUNNER.length).trim()}`, e] as const))(
    'run: %s',
    (_title, example) => {
      // Prepare
      const words = shellWords(example.command);
      const rest = words.slice(RUNNER.split(' ').length);
      const args = rest[0] === '--' ? rest.slice(1) : rest;

      // Act
      const run = spawnSync(process.execPath, [join(ROOT, 'scripts/report.cjs'), ...args], {
        cwd: dir,
        env: credentialFreeEnv(),
        encoding: 'utf8',
        timeout: 50_000,
        maxBuffer: 1 << 26,
      });

      // Assess
      expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
      expect(run.stdout.length + run.stderr.length).toBeGreaterThan(0);
    },
  );
});
