/**
 * No circles in the house: the import graph of api/, agent/ and web/src (type-only imports and
 * re-exports included, since they couple modules just the same) has no cycles. Fails listing each
 * cycle as `a.ts → b.ts → a.ts`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const DIRS = ['api', 'agent', 'web/src'];
/** `import … from`, `import type … from`, `export … from`, side-effect and dynamic imports. */
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

function sourceFiles(): string[] {
  return DIRS.flatMap((dir) =>
    fs
      .readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && /\.(ts|vue)$/.test(e.name) && !e.parentPath.includes('generated'))
      .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name))),
  );
}

/** The graph: each file → the files of the set it imports (relative specifiers only). */
function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const targets = new Set<string>();
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec.startsWith('.')) continue;
      const target = path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), spec));
      if (known.has(target)) targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** Strongly connected components with more than one file (or a file importing itself), Tarjan's way. */
function cyclicComponents(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || graph.get(node)?.includes(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found.sort((a, b) => a[0].localeCompare(b[0]));
}

/** One concrete cycle through a component, from its first file back to it: `a → b → a`. */
function describeCycle(graph: Map<string, string[]>, component: string[]): string {
  const members = new Set(component);
  const start = component[0];
  const queue: string[][] = [[start]];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const route = queue.shift()!;
    for (const next of graph.get(route[route.length - 1]) ?? []) {
      if (next === start) return [...route, start].join(' → ');
      if (members.has(next) && !seen.has(next)) {
        seen.add(next);
        queue.push([...route, next]);
      }
    }
  }
  return component.join(' ↔ ');
}

describe('import cycles', () => {
  const graph = importGraph(sourceFiles());

  it('finds type-only and re-export edges (self-check)', () => {
    expect(graph.get('api/fleet/vector/topology.ts')).toContain('api/fleet/vector/problems.ts');
    expect(graph.get('api/fleet/vector/components.ts')).toContain('api/fleet/errors.ts');
    expect(
      cyclicComponents(
        new Map([
          ['a', ['b']],
          ['b', ['a']],
          ['c', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b']]);
  });

  it('has no cycles across api/, agent/ and web/src', () => {
    const cycles = cyclicComponents(graph).map((component) => describeCycle(graph, component));
    expect(cycles).toEqual([]);
  });
});
