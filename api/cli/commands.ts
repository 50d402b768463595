/**
 * The admin CLI's commands, each a thin adapter over api/fleet (the same rules and audit trail as
 * the GraphQL API). Each prints its result on stdout; secrets are printed once and never logged.
 */
import fs from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CLI_ACTOR, type FleetContext } from '../fleet/context.ts';
import { createUser, resetPassword } from '../fleet/users.ts';
import { createApiToken } from '../fleet/api-tokens.ts';
import { createGroup, getGroupBySlug } from '../fleet/groups.ts';
import { mintEnrolmentToken } from '../fleet/enrolment-tokens.ts';
import { registerRelease } from '../fleet/releases.ts';
import { checkSecretKeys, rotateSecrets } from '../fleet/secret-rotation.ts';
import { UsageError, durationSeconds, flags, integer } from './args.ts';

/** What a command may do besides acting on the fleet: print a line, read a piped secret. */
export interface CommandIo {
  print(line: string): void;
  readSecret(): Promise<string>;
}
export type Command = (ctx: FleetContext, argv: string[], io: CommandIo) => Promise<void>;

const userCreate: Command = async (ctx, argv, { print, readSecret }) => {
  const { values } = flags(argv, {
    email: { type: 'string', required: true },
    role: { type: 'string', required: true },
    'password-stdin': { type: 'boolean' },
  });
  if (!values['password-stdin'])
    throw new UsageError('--password-stdin is required: pipe the password on standard input');
  const user = await createUser(ctx, CLI_ACTOR, {
    email: values.email,
    role: values.role,
    password: await readSecret(),
  });
  print(`created ${user.role} ${user.email} (${user.id})`);
};

const userResetPassword: Command = async (ctx, argv, { print, readSecret }) => {
  const { values } = flags(argv, {
    email: { type: 'string', required: true },
    'password-stdin': { type: 'boolean' },
  });
  if (!values['password-stdin'])
    throw new UsageError('--password-stdin is required: pipe the password on standard input');
  const user = await resetPassword(ctx, CLI_ACTOR, {
    email: values.email,
    password: await readSecret(),
  });
  print(`password changed for ${user.email}; their sessions were ended`);
};

const apiTokenCreate: Command = async (ctx, argv, { print }) => {
  const { values } = flags(argv, {
    user: { type: 'string', required: true },
    name: { type: 'string', required: true },
    role: { type: 'string' },
    'ttl-days': { type: 'string' },
  });
  const ttlDays = values['ttl-days'] === undefined ? undefined : integer('ttl-days', values['ttl-days']);
  const created = await createApiToken(ctx, CLI_ACTOR, {
    email: values.user,
    name: values.name,
    role: values.role,
    ttlDays,
  });
  print(created.token);
};

const groupCreate: Command = async (ctx, argv, { print }) => {
  const { values } = flags(argv, {
    slug: { type: 'string', required: true },
    name: { type: 'string' },
    description: { type: 'string' },
  });
  const group = await createGroup(ctx, CLI_ACTOR, {
    slug: values.slug,
    name: values.name ?? values.slug,
    description: values.description,
  });
  print(`created group ${group.slug} (${group.id}), config version ${group.configVersion}`);
};

const tokenMint: Command = async (ctx, argv, { print }) => {
  const { values } = flags(argv, {
    group: { type: 'string', required: true },
    'max-uses': { type: 'string', required: true },
    ttl: { type: 'string', required: true },
    'allow-group-override': { type: 'boolean' },
  });
  const group = await getGroupBySlug(ctx, String(values.group));
  const minted = await mintEnrolmentToken(ctx, CLI_ACTOR, {
    groupId: group.id,
    maxUses: integer('max-uses', values['max-uses']),
    ttlSeconds: durationSeconds('ttl', values.ttl),
    allowGroupOverride: values['allow-group-override'] === true,
  });
  print(minted.token);
};

const releaseAdd: Command = async (ctx, argv, { print }) => {
  const { values, positionals } = flags(argv, { version: { type: 'string' } });
  const file = positionals[0];
  if (!file) throw new UsageError('usage: release add <agent bundle file> [--version x.y.z]');
  const bundle = await fs.readFile(file).catch(() => {
    throw new UsageError(`cannot read ${file}`);
  });
  const version =
    typeof values.version === 'string'
      ? values.version
      : (await promisify(execFile)(process.execPath, [file, 'version'], { timeout: 10_000 })).stdout
          .trim()
          .split(/\s+/)
          .pop();
  const release = await registerRelease(ctx, { version: version ?? '', bundle });
  print(`release ${release.version} sha256 ${release.sha256} (${release.size} bytes)`);
};

const secretsRotate: Command = async (ctx, _argv, { print }) => {
  await checkSecretKeys(ctx);
  const count = await rotateSecrets(ctx, CLI_ACTOR);
  print(
    count > 0
      ? `re-encrypted ${count} secret(s) with FLOTILLA_SECRET_KEY`
      : 'every secret already uses FLOTILLA_SECRET_KEY',
  );
};

/** Commands that need the database, by their words. */
export const COMMANDS: Record<string, Command> = {
  'user create': userCreate,
  'user reset-password': userResetPassword,
  'api-token create': apiTokenCreate,
  'group create': groupCreate,
  'token mint': tokenMint,
  'release add': releaseAdd,
  'secrets rotate': secretsRotate,
};
