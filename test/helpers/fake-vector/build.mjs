// Checks Vector makes when it builds components (TopologyPieces::build) rather than when it loads the
// config: top-level one-of option groups, VRL compiles and sample rates (transform-build.mjs), loki's
// labels, and a usable data_dir for stateful components.
import { statSync } from 'node:fs';
import { KINDS, canonicalComponent, componentSchema } from './catalogue.mjs';
import { transformProblems } from './transform-build.mjs';
import { exactlyOneOf, getPath, isMap } from './values.mjs';

export const DEFAULT_DATA_DIR = '/var/lib/vector/';
const STATEFUL_SOURCES = ['file', 'journald', 'kubernetes_logs'];

/**
 * Build errors of the given sections (sources, transforms and sinks by default), in build order and
 * labelled like Vector's (`Sink "out": ...`). The config must have passed the load checks.
 */
export function buildErrors(config, sections = ['sources', 'transforms', 'sinks']) {
  return sections.flatMap((section) =>
    Object.entries(config[section] ?? {}).flatMap(([id, component]) => {
      const kind = KINDS[section];
      const label = `${kind[0].toUpperCase()}${kind.slice(1)} "${id}"`;
      const schema = componentSchema(section, component.type);
      return componentProblems(section, canonicalComponent(component, schema), schema, config).map(
        (problem) => `${label}: ${problem}`,
      );
    }),
  );
}

/** Vector's data_dir check: `data_dir "/x" does not exist` / `is not writable`, or undefined when usable. */
export function dataDirError(dataDir) {
  const stats = statSync(dataDir, { throwIfNoEntry: false });
  if (!stats) return `data_dir ${JSON.stringify(dataDir)} does not exist`;
  return (stats.mode & 0o222) === 0 ? `data_dir ${JSON.stringify(dataDir)} is not writable` : undefined;
}

function componentProblems(section, component, schema, config) {
  const problems = schema.requiredOneOf
    .filter((group) => !group[0].includes('.'))
    .filter((group) => group.filter((name) => getPath(component, name) !== undefined).length !== 1)
    .map(exactlyOneOf);
  if (section === 'transforms' && problems.length === 0)
    problems.push(...transformProblems(component, schema));
  if (component.type === 'loki' && isMap(component.labels) && Object.keys(component.labels).length === 0) {
    problems.push('`labels` must include at least one label.');
  }
  if (needsDataDir(section, component)) {
    const error = dataDirError(component.data_dir ?? config.data_dir ?? DEFAULT_DATA_DIR);
    if (error) problems.push(error);
  }
  return problems;
}

// Checkpointing sources and sinks with a disk buffer (also as one stage of a buffer list).
function needsDataDir(section, component) {
  if (section === 'sources') return STATEFUL_SOURCES.includes(component.type);
  return [component.buffer ?? []].flat().some((stage) => stage?.type === 'disk');
}
