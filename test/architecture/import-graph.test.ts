/**
 * The house's rules, checked on its imports (type-only imports count: they tie files as much as
 * any other): no circle of imports anywhere in the code that ships or builds (functions/, cli/,
 * infra/, scripts/, bench/), the core stays pure, and the function's code never reaches into the
 * command line, the stack or the scripts, so what is shipped to Lambda is plain from the tree.
 * Imports are read with TypeScript's own pre-processor, so a new circle fails `npm test`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(__dirname, '../..');
const ROOTS = ['functions', 'cli', 'infra', 'scripts', 'bench'];
const EXTENSIONS = ['.ts', '.cjs', '.js'];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (EXTENSIONS.some((e) => name.endsWith(e)) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The file a relative specifier names, if it is one of ours. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base, ...EXTENSIONS.map((e) => base + e), join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** Every file of the checked roots with the files of ours it imports (repository-relative paths). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const root of ROOTS) {
    for (const file of sourceFiles(join(ROOT, root))) {
      const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      const targets = info.importedFiles
        .map((f) => resolveSpecifier(file, f.fileName))
        .filter((t): t is string => t !== undefined)
        .map((t) => relative(ROOT, t));
      graph.set(relative(ROOT, file), [...new Set(targets)]);
    }
  }
  return graph;
}

/** Strongly connected components of more than one file, or of one file importing itself (Tarjan). */
function circles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    indices.set(node, index);
    low.set(node, index);
    index++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, indices.get(next) as number));
      }
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}

const graph = importGraph();
const FUNCTION = 'functions/weekly-report/';

/** `[importer, imported]` pairs of the graph where `rule` says no. */
function violations(rule: (from: string, to: string) => boolean): string[] {
  return [...graph].flatMap(([from, targets]) =>
    targets.filter((to) => rule(from, to)).map((to) => `${from} -> ${to}`),
  );
}

describe('the import graph', () => {
  it('reads the files of every checked folder', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get(`${FUNCTION}handler.ts`)?.length).toBeGreaterThan(3);
  });

  it('has no circle of imports', () => {
    expect(circles(graph)).toEqual([]);
  });

  it('keeps the core pure: core/ imports only core/', () => {
    expect(violations((from, to) => from.startsWith(`${FUNCTION}core/`) && !to.startsWith(`${FUNCTION}core/`))).toEqual(
      [],
    );
  });

  it('keeps the function shippable on its own: functions/ never imports the command line, the stack or the scripts', () => {
    expect(violations((from, to) => from.startsWith('functions/') && !to.startsWith('functions/'))).toEqual([]);
  });

  it('renders without adapters: render/ imports no adapter', () => {
    expect(
      violations((from, to) => from.startsWith(`${FUNCTION}render/`) && to.startsWith(`${FUNCTION}adapters/`)),
    ).toEqual([]);
  });

  it('finds a circle when there is one (the check itself)', () => {
    const loop = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(circles(loop)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});
