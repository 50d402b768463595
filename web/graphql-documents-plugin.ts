/**
 * A Vite build plugin in the spirit of graphql-codegen's client-preset babel plugin: each
 * `graphql(`…`)` call in the dashboard is replaced by that document's parsed form (the object
 * codegen/gql/graphql.ts exports for it), so a page's chunk carries only the documents it uses
 * instead of the map of every document (≈ 200 kB decoded on the first page otherwise). A call
 * whose text is not in the generated map is left alone (it still works through the map).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Plugin } from 'vite';

const CALL = /\bgraphql\(\s*`([^`]*)`\s*\)/g;
const ENTRY = /^\s*("(?:[^"\\]|\\.)*"): types\.(\w+),$/;
const EXPORT = /^export const (\w+) = (\{.*\}) as unknown as DocumentNode<.*>;$/;

/** The plugin; `gqlDir` is codegen/gql (gql.ts maps each document's text to its export). */
export function graphqlDocuments(gqlDir: string): Plugin {
  /** Document text → the JSON of its parsed document. */
  let documents: Map<string, string> | null = null;
  const load = () => {
    const parsed = new Map<string, string>();
    for (const line of fs.readFileSync(path.join(gqlDir, 'graphql.ts'), 'utf8').split('\n')) {
      const match = EXPORT.exec(line);
      if (match) parsed.set(match[1]!, match[2]!);
    }
    const map = new Map<string, string>();
    const text = fs.readFileSync(path.join(gqlDir, 'gql.ts'), 'utf8');
    for (const line of text.slice(text.indexOf('const documents')).split('\n')) {
      const match = ENTRY.exec(line);
      const json = match && parsed.get(match[2]!);
      if (json) map.set(JSON.parse(match[1]!) as string, json);
    }
    return map;
  };
  return {
    name: 'flotilla-graphql-documents',
    apply: 'build',
    buildStart() {
      documents = load();
    },
    transform(code, id) {
      if (id.includes('node_modules') || !/\.(vue|ts)($|\?)/.test(id) || !code.includes('graphql('))
        return null;
      let used = false;
      const out = code.replace(CALL, (call, source: string) => {
        const json = documents?.get(source);
        if (!json) return call;
        used = true;
        return `(${json})`;
      });
      return used ? { code: out, map: null } : null;
    },
  };
}
