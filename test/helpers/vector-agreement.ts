/**
 * Shared by the agreement tests (test/fleet/vector-agreement*.test.ts), which feed the same
 * pipelines to the server's checkPipeline and to the stand-in `vector validate --no-environment`
 * (test/helpers/fake-vector, run in-process: its launcher's code without a process per pipeline):
 * running the stand-in, and reading which rule each of its output lines is about, from Vector's wording.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { ConfigProblem, ConfigRule } from '../../api/fleet/vector/problems.ts';
import type { VectorConfig } from '../../api/fleet/vector/render.ts';
import { VRL_COMPILE_NOTE } from '../../api/fleet/vector/vrl.ts';
import { runInProcess } from './fake-vector/in-process.mjs';

/** The stand-in's verdict: exit code, `x ` error lines and `~ ` warning lines (without the symbol). */
export interface Verdict {
  code: number;
  errors: string[];
  warnings: string[];
}

/** A temporary directory for config files and a function running the stand-in's validate on a config. */
export async function fakeValidator(): Promise<{
  validate: (name: string, config: VectorConfig) => Promise<Verdict>;
  cleanup: () => Promise<void>;
}> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flotilla-agreement-'));
  let count = 0;
  const validate = async (name: string, config: VectorConfig): Promise<Verdict> => {
    count += 1;
    const file = path.join(dir, `${count}-${name.replace(/\W+/g, '-').slice(0, 60)}.yaml`);
    await fs.writeFile(file, stringify(config));
    const { code, stdout } = runInProcess(['validate', '--no-environment', file], {
      env: { PATH: process.env.PATH ?? '' },
      cwd: dir,
    });
    const lines = (symbol: string) =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith(`${symbol} `))
        .map((line) => line.slice(2));
    return { code, errors: lines('x'), warnings: lines('~') };
  };
  return { validate, cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
}

const TOPOLOGY_WORDING: [ConfigRule, RegExp][] = [
  ['duplicate-id', /^More than one component with name "/],
  ['id-contains-dot', /^Component name ".*" should not contain a "\."$/],
  ['no-sources', /^No sources defined in the config\.$/],
  ['no-sinks', /^No sinks defined in the config\.$/],
  ['no-inputs', /^(Sink|Transform) ".*" has no inputs$/],
  ['duplicate-input', /^(Sink|Transform) ".*" has input ".*" duplicated \d+ times$/],
  ['unknown-input', /^Input ".*" for (sink|transform) ".*" doesn't match any components\.$/],
  ['type-mismatch', /^Data type mismatch between /],
  ['cycle', /^Cyclic dependency detected in the chain \[/],
  ['reserved-output', /^Transform .* cannot have a named output with reserved name: `/],
  ['invalid-vrl', /^Transform ".*": (line \d+, column \d+: |the program is empty|error\[E\d+\]: )/],
];

/** The rule a line of the stand-in's validate output is about, from Vector's wording. */
export function ruleOf(line: string, config: VectorConfig): ConfigRule | 'unclassified' {
  const topology = TOPOLOGY_WORDING.find(([, wording]) => wording.test(line));
  if (topology) return topology[0];
  // serde: a missing or unknown `type` of a component is the type rule; any other field, the options.
  if (/^missing field `type` in `\w+\.[^`.]+`$/.test(line)) return 'unknown-type';
  const variant = /^unknown variant `([^`]*)`, expected one of .* in `(\w+)\.([^`.]+)`$/.exec(line);
  if (variant) {
    const section = config[variant[2] as 'sources' | 'transforms' | 'sinks'];
    return section?.[variant[3]]?.type === variant[1] ? 'unknown-type' : 'invalid-options';
  }
  if (/^(missing field|unknown field|unknown variant|invalid type)[ :]/.test(line)) return 'invalid-options';
  if (/^(Transform|Sink) ".*": /.test(line)) return 'invalid-options';
  return 'unclassified';
}

/**
 * A message without its location: the `Transform "t": ` prefix Vector's build errors carry, the
 * server's VRL note, and the `` in `sinks.out` `` suffix.
 */
export function wording(message: string): string {
  return message
    .replace(/^(Transform|Sink) "[^"]*": /, '')
    .replace(`; ${VRL_COMPILE_NOTE}`, '')
    .replace(/ in `[^`]*`$/, '');
}

/** The server's messages for one rule, without their location (for comparing with the stand-in's). */
export function serverWording(problems: ConfigProblem[], rule: ConfigRule): string[] {
  return problems.filter((p) => p.rule === rule).map((p) => wording(p.message));
}
