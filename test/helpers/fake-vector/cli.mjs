// A small clap look-alike for the specs in cli-spec.mjs: long/short options, `--opt=value`, `-cVALUE`,
// clustered short flags, `--`, comma-delimited lists, env fallbacks, clap's error texts (exit 2).
import { ROOT, VALIDATE } from './cli-spec.mjs';
import { versionAtLeast } from './version.mjs';

const FALSEY = new Set(['', '0', 'n', 'no', 'f', 'false', 'off']);

/** A command-line error as clap reports it; `render()` gives the stderr text, the exit code is 2. */
export class UsageError extends Error {
  constructor(message, spec) {
    super(message);
    this.usage = spec.usage;
  }

  /** The text clap prints for this error. */
  render() {
    return `error: ${this.message}\n\nUsage: ${this.usage}\n\nFor more information, try '--help'.\n`;
  }
}

/**
 * Parses `vector` arguments (without the program name) like clap. Returns `{command: 'run', opts}`,
 * `{command: 'validate', opts, root}`, `{command: 'help', text}`, `{command: 'version'}` or
 * `{command: 'unsupported', name}`; throws UsageError on invalid input.
 */
export function parseCommandLine(argv, env) {
  const root = parseArgs(ROOT, argv, env);
  if (root.action) return root.action;
  if (!root.subcommand) return { command: 'run', opts: root.opts };
  const [name, rest] = root.subcommand;
  if (name === 'help') return { command: 'help', text: helpText(ROOT) };
  if (name !== 'validate') return { command: 'unsupported', name };
  const sub = parseArgs(VALIDATE, rest, env);
  return sub.action ?? { command: 'validate', opts: sub.opts, root: root.opts };
}

function available(opt) {
  return (!opt.since || versionAtLeast(opt.since)) && (!opt.until || !versionAtLeast(opt.until));
}

function label(opt) {
  if (!opt.long) return `[${opt.value}]...`;
  return opt.value ? `--${opt.long} <${opt.value}>` : `--${opt.long}`;
}

function parseArgs(spec, args, env) {
  const options = spec.options.filter(available);
  const opts = initialValues(options, spec.positional);
  const given = new Set();
  const record = (opt, raw) => {
    if (given.has(opt.key) && !opt.multiple && !opt.count) {
      throw new UsageError(`the argument '${label(opt)}' cannot be used multiple times`, spec);
    }
    given.add(opt.key);
    if (opt.count) opts[opt.key] += 1;
    else if (!opt.value) opts[opt.key] = true;
    else if (opt.multiple) opts[opt.key].push(...raw.split(',').filter(Boolean));
    else opts[opt.key] = convert(opt, raw, spec);
  };
  let i = 0;
  let onlyPositionals = false;
  const use = (opt, inline) => {
    if (opt.action === 'help') return { command: 'help', text: helpText(spec) };
    if (opt.action === 'version') return { command: 'version' };
    if (!opt.value && inline !== undefined) {
      throw new UsageError(
        `unexpected value '${inline}' for '${label(opt)}' found; no more were expected`,
        spec,
      );
    }
    if (opt.value && inline === undefined) {
      if (i >= args.length || (args[i].startsWith('-') && args[i] !== '-')) {
        throw new UsageError(`a value is required for '${label(opt)}' but none was supplied`, spec);
      }
      inline = args[i++];
    }
    record(opt, inline);
    return undefined;
  };
  while (i < args.length) {
    const arg = args[i++];
    let action;
    if (onlyPositionals || arg === '-' || !arg.startsWith('-')) {
      if (spec.subcommands && !onlyPositionals) {
        if (!spec.subcommands.includes(arg)) throw new UsageError(`unrecognized subcommand '${arg}'`, spec);
        return { ...finish(spec, options, opts, given, env), subcommand: [arg, args.slice(i)] };
      }
      if (!spec.positional) throw new UsageError(`unexpected argument '${arg}' found`, spec);
      given.add(spec.positional.key);
      opts[spec.positional.key].push(...arg.split(',').filter(Boolean));
    } else if (arg === '--') {
      onlyPositionals = true;
    } else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const opt = options.find((o) => o.long === name);
      if (!opt) throw new UsageError(`unexpected argument '--${name}' found`, spec);
      action = use(opt, eq === -1 ? undefined : arg.slice(eq + 1));
    } else {
      for (let k = 1; k < arg.length && !action; k += 1) {
        const opt = options.find((o) => o.short === arg[k]);
        if (!opt) throw new UsageError(`unexpected argument '-${arg[k]}' found`, spec);
        const rest = arg.slice(k + 1).replace(/^=/, '');
        action = use(opt, opt.value && rest !== '' ? rest : undefined);
        if (opt.value) break;
      }
    }
    if (action) return { action };
  }
  return finish(spec, options, opts, given, env);
}

function initialValues(options, positional) {
  const opts = {};
  for (const opt of [...options, ...(positional ? [positional] : [])]) {
    if (opt.action) continue;
    if (opt.count) opts[opt.key] = 0;
    else if (!opt.value) opts[opt.key] = false;
    else opts[opt.key] = opt.multiple ? [] : opt.default;
  }
  return opts;
}

function convert(opt, raw, spec) {
  const invalid = (detail) => new UsageError(`invalid value '${raw}' for '${label(opt)}'${detail}`, spec);
  if (opt.parse === 'uint') {
    if (!/^\d+$/.test(raw)) throw invalid(': invalid digit found in string');
    return Number(raw);
  }
  const choices = opt.parse === 'bool' ? ['true', 'false'] : opt.choices;
  if (choices && !choices.includes(raw)) throw invalid(`\n  [possible values: ${choices.join(', ')}]`);
  return opt.parse === 'bool' ? raw === 'true' : raw;
}

// Env fallbacks (only for options not given on the command line), then conflicts.
function finish(spec, options, opts, given, env) {
  for (const opt of [...options, ...(spec.positional ? [spec.positional] : [])]) {
    const raw = opt.env ? env[opt.env] : undefined;
    if (given.has(opt.key) || raw === undefined) continue;
    if (!opt.value) {
      opts[opt.key] = !FALSEY.has(raw.trim().toLowerCase());
    } else if (raw !== '') {
      opts[opt.key] = opt.multiple ? raw.split(',').filter(Boolean) : convert(opt, raw, spec);
    }
    if (opts[opt.key] !== false && raw !== '') given.add(opt.key);
  }
  for (const opt of options) {
    const other = opt.conflicts && options.find((o) => o.key === opt.conflicts);
    if (other && given.has(opt.key) && given.has(other.key)) {
      throw new UsageError(`the argument '${label(opt)}' cannot be used with '${label(other)}'`, spec);
    }
  }
  return { opts };
}

function helpText(spec) {
  const rows = spec.options
    .filter(available)
    .map((opt) => [
      `${opt.short ? `-${opt.short}, ` : '    '}${label(opt)}`,
      opt.help + (opt.env ? ` [env: ${opt.env}]` : ''),
    ]);
  if (spec.positional) rows.unshift([`[${spec.positional.value}]...`, spec.positional.help]);
  const width = Math.max(...rows.map(([left]) => left.length));
  const lines = rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
  const commands = spec.subcommands ? `Commands:\n  ${spec.subcommands.join(', ')}\n\n` : '';
  return `${spec.about}\n\nUsage: ${spec.usage}\n\n${commands}Options:\n${lines.join('\n')}\n`;
}
