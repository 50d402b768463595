/**
 * A small parser of the Prometheus text exposition format (version 0.0.4), as Vector's
 * `prometheus_exporter` sink serves it: `# HELP` / `# TYPE` comments and sample lines
 * `name{label="value",…} value [timestamp]`. It keeps samples only (histogram and summary series
 * arrive as their `_bucket` / `_sum` / `_count` samples) and skips lines it cannot read instead of
 * failing the whole page, so one odd line never hides the rest.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  /** The sample value; NaN and ±Inf as JavaScript's. */
  value: number;
}

export interface ParsedPage {
  samples: Sample[];
  /** Lines that were neither a comment, blank, nor a readable sample. */
  skipped: number;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_:]*/;
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Parse a whole exposition page into its samples; never throws. */
export function parsePrometheusText(text: string): ParsedPage {
  const samples: Sample[] = [];
  let skipped = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const sample = parseSampleLine(line);
    if (sample) samples.push(sample);
    else skipped++;
  }
  return { samples, skipped };
}

/** Parse one sample line (no comment, already trimmed); undefined when it is malformed. */
export function parseSampleLine(line: string): Sample | undefined {
  const name = NAME.exec(line)?.[0];
  if (!name) return undefined;
  let rest = line.slice(name.length);
  let labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    const parsed = parseLabels(rest);
    if (!parsed) return undefined;
    labels = parsed.labels;
    rest = rest.slice(parsed.length);
  }
  const fields = rest.trim().split(/[ \t]+/);
  if (fields.length < 1 || fields.length > 2 || fields[0] === '' || !/^[ \t]/.test(rest)) return undefined;
  const value = parseValue(fields[0]);
  if (value === undefined) return undefined;
  if (fields.length === 2 && !/^-?\d+$/.test(fields[1])) return undefined;
  return { name, labels, value };
}

/** `{a="x",b="y"}` at the start of `text`: the labels and how many characters they took. */
function parseLabels(text: string): { labels: Record<string, string>; length: number } | undefined {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === '}') return { labels, length: i + 1 };
    const name = LABEL_NAME.exec(text.slice(i))?.[0];
    if (!name) return undefined;
    i += name.length;
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] !== '=' || text[i + 1] !== '"') return undefined;
    i += 2;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) return undefined;
      if (c === '"') break;
      if (c === '\\') {
        const next = text[i + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else return undefined;
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    i++;
    labels[name] = value;
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') return undefined;
  }
}

function parseValue(text: string): number | undefined {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
  }
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}
