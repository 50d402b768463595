/**
 * `npm run flotilla -- pipeline export|plan|apply`: pipelines as code, as a client of a running
 * server's GraphQL API with an API token (FLOTILLA_TOKEN, or --token): export writes the published
 * pipeline as YAML, plan prints the diff and the problems of a file without changing anything,
 * apply publishes the file with a message (the same content again creates no version). Exit codes:
 * 0 done (plan: the file is valid), 1 refused or invalid, 2 bad arguments.
 */
import fs from 'node:fs/promises';
import { UsageError, flags } from './args.ts';

export interface PipelineIo {
  print(line: string): void;
  env: NodeJS.ProcessEnv;
}

interface Target {
  server: string;
  token: string;
  group: string;
}

const ERROR = '... on Error { code message fields { path message } }';

async function graphql(target: Target, query: string, variables: Record<string, unknown>) {
  const res = await fetch(`${target.server.replace(/\/+$/, '')}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${target.token}`,
      'x-flotilla-csrf': '1',
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json().catch(() => ({}))) as {
    data?: Record<string, never>;
    errors?: { message: string }[];
  };
  if (!res.ok || body.errors?.length || !body.data) {
    throw new Error(`the server answered ${res.status}: ${body.errors?.[0]?.message ?? 'no data'}`);
  }
  return body.data as Record<string, Record<string, unknown> | null>;
}

async function groupId(target: Target): Promise<string> {
  const data = await graphql(target, 'query($slug: String!) { group(slug: $slug) { id } }', {
    slug: target.group,
  });
  if (!data.group) throw new Error(`no group with slug "${target.group}"`);
  return String(data.group.id);
}

interface TypedError {
  code: string;
  message: string;
  fields: { path: string; message: string }[];
}

function failure(io: PipelineIo, error: TypedError): number {
  io.print(`refused (${error.code}): ${error.message}`);
  for (const f of error.fields) io.print(`  ${f.path}: ${f.message}`);
  return 1;
}

async function exportPipeline(target: Target, file: string | undefined, io: PipelineIo): Promise<number> {
  const data = await graphql(target, 'query($slug: String!) { group(slug: $slug) { pipelineYaml } }', {
    slug: target.group,
  });
  if (!data.group) throw new Error(`no group with slug "${target.group}"`);
  const yaml = String(data.group.pipelineYaml);
  if (file) await fs.writeFile(file, yaml);
  else io.print(yaml.trimEnd());
  return 0;
}

const PLAN = `query($input: PlanPipelineInput!) { pipelinePlan(input: $input) { __typename ${ERROR}
  ... on PipelinePlanPayload { plan { version changed valid
    diff { components { id change fields } platforms { platform changed unified } }
    problems { severity component field message } } } } }`;

async function plan(target: Target, yaml: string, io: PipelineIo): Promise<number> {
  const data = await graphql(target, PLAN, { input: { groupId: await groupId(target), yaml } });
  const result = data.pipelinePlan as Record<string, unknown>;
  if (result.__typename !== 'PipelinePlanPayload') return failure(io, result as unknown as TypedError);
  const p = result.plan as {
    version: number;
    changed: boolean;
    valid: boolean;
    diff: {
      components: { id: string; change: string; fields: string[] }[];
      platforms: { platform: string; changed: boolean; unified: string }[];
    };
    problems: { severity: string; component: string | null; field: string | null; message: string }[];
  };
  io.print(p.changed ? `changes against version ${p.version}:` : `no changes against version ${p.version}`);
  for (const c of p.diff.components) {
    io.print(`  ${c.change} ${c.id}${c.fields.length ? ` (${c.fields.join(', ')})` : ''}`);
  }
  for (const d of p.diff.platforms.filter((x) => x.changed)) io.print(d.unified.trimEnd());
  for (const problem of p.problems) {
    const where = [problem.component, problem.field].filter(Boolean).join('.');
    io.print(`${problem.severity}: ${where ? `${where}: ` : ''}${problem.message}`);
  }
  return p.valid ? 0 : 1;
}

const APPLY = `mutation($input: ApplyPipelineInput!) { applyPipeline(input: $input) { __typename ${ERROR}
  ... on ApplyPipelinePayload { result { created version { version } } } } }`;

async function apply(target: Target, yaml: string, message: string, io: PipelineIo): Promise<number> {
  const data = await graphql(target, APPLY, { input: { groupId: await groupId(target), yaml, message } });
  const result = data.applyPipeline as Record<string, unknown>;
  if (result.__typename !== 'ApplyPipelinePayload') return failure(io, result as unknown as TypedError);
  const { created, version } = result.result as { created: boolean; version: { version: number } };
  io.print(
    created
      ? `published version ${version.version}`
      : `no change: version ${version.version} already has this content`,
  );
  return 0;
}

/**
 * Run `pipeline <sub> <flags>`. Resolves the exit code; throws UsageError for bad arguments and
 * Error when the server cannot be reached or refuses the token.
 */
export async function runPipelineCommand(
  sub: string | undefined,
  argv: string[],
  io: PipelineIo,
): Promise<number> {
  const { values } = flags(argv, {
    server: { type: 'string', required: true },
    token: { type: 'string' },
    group: { type: 'string', required: true },
    file: { type: 'string' },
    message: { type: 'string' },
  });
  const token = (values.token as string | undefined) ?? io.env.FLOTILLA_TOKEN;
  if (!token) throw new UsageError('set FLOTILLA_TOKEN (or --token) to an API token');
  const target: Target = { server: String(values.server), token, group: String(values.group) };
  const file = values.file as string | undefined;
  if (sub === 'export') return exportPipeline(target, file, io);
  if (sub !== 'plan' && sub !== 'apply') throw new UsageError('use pipeline export, plan or apply');
  if (!file) throw new UsageError('--file is required');
  const yaml = await fs.readFile(file, 'utf8');
  if (sub === 'plan') return plan(target, yaml, io);
  if (!values.message) throw new UsageError('--message is required');
  return apply(target, yaml, String(values.message), io);
}
