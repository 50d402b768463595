/**
 * Notification channels: where alerts are sent. `webhook` posts the alert as JSON, signed with a
 * per-channel secret; `slack` posts a Slack-compatible incoming-webhook message (`{"text"}`; the URL
 * is the credential). A channel's URL and signing secret are sealed with the secret key
 * (secret-crypto.ts) and never returned: creation returns the signing secret once, afterwards
 * readers see the name, type and the URL's scheme and host only.
 *
 * Signature scheme (webhook), for receivers:
 *   X-Flotilla-Timestamp: <unix seconds when this attempt was sent>
 *   X-Flotilla-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body bytes>")>
 * A receiver recomputes the HMAC over the timestamp header, a dot and the body exactly as received,
 * compares in constant time, and rejects timestamps more than five minutes from its clock (a replayed
 * request carries an old timestamp, and changing it breaks the signature). Every retry is signed anew.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { NotificationChannel } from '../../generated/prisma/client.ts';
import type { Actor, FleetContext } from '../context.ts';
import { FleetError, FleetErrorCode, isUniqueViolation, validationError } from '../errors.ts';
import { recordAudit } from '../audit.ts';
import { inTransaction } from '../transaction.ts';
import { parseInput, storableText } from '../validate.ts';
import { open, seal } from '../secret-crypto.ts';
import { requireKeyring } from '../secrets.ts';

export const CHANNEL_TYPES = ['webhook', 'slack'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export const SIGNATURE_HEADER = 'x-flotilla-signature';
export const TIMESTAMP_HEADER = 'x-flotilla-timestamp';
/** How far a receiver should accept a timestamp from its own clock (documented above). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** A channel as every reader sees it: never the URL or the secret. */
export type ChannelInfo = Omit<NotificationChannel, 'ciphertext' | 'keyId'>;

const MAX_URL_LENGTH = 2048;

export const CreateChannelInput = z.object({
  name: storableText().trim().min(1, 'must not be empty').max(120),
  type: z.enum(CHANNEL_TYPES),
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).max(MAX_URL_LENGTH),
});
export const DeleteChannelInput = z.object({ id: z.uuid() });

/** What a sealed channel holds. */
export interface ChannelTarget {
  url: string;
  /** The webhook signing secret; empty for Slack channels. */
  secret: string;
}

const SEAL_SCOPE = 'notification-channel';

const info = (c: NotificationChannel): ChannelInfo => {
  const { ciphertext: _c, keyId: _k, ...rest } = c;
  return rest;
};

/**
 * Create a channel. A webhook gets a new signing secret, returned here once (`signingSecret`, empty
 * for Slack). Fails with secret_key_missing, validation_failed or conflict (name taken).
 */
export async function createChannel(
  ctx: FleetContext,
  actor: Actor,
  input: unknown,
): Promise<{ channel: ChannelInfo; signingSecret: string }> {
  const keyring = requireKeyring(ctx);
  const data = parseInput(CreateChannelInput, input);
  const id = randomUUID();
  const secret = data.type === 'webhook' ? `whsec_${randomBytes(32).toString('base64url')}` : '';
  const url = new URL(data.url);
  const target: ChannelTarget = { url: data.url, secret };
  try {
    const channel = await inTransaction(ctx, async (tx) => {
      const created = await tx.notificationChannel.create({
        data: {
          id,
          name: data.name,
          type: data.type,
          urlHint: `${url.protocol}//${url.host}`,
          ...seal(keyring, SEAL_SCOPE, id, JSON.stringify(target)),
          createdBy: actor.label,
        },
      });
      const view = { name: created.name, type: created.type, urlHint: created.urlHint };
      await recordAudit(tx, actor, 'channel.create', { type: 'channel', id }, null, view);
      return created;
    });
    return { channel: info(channel), signingSecret: secret };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const issue = validationError([{ path: 'name', message: `"${data.name}" is already a channel` }]);
    throw new FleetError(FleetErrorCode.conflict, issue.message, issue.issues);
  }
}

/**
 * Delete a channel: it leaves every rule's channel list and its delivery log goes with it. Fails
 * with validation_failed or channel_not_found.
 */
export async function deleteChannel(ctx: FleetContext, actor: Actor, input: unknown): Promise<ChannelInfo> {
  const { id } = parseInput(DeleteChannelInput, input);
  return inTransaction(ctx, async (tx, emit) => {
    const channel = await tx.notificationChannel.findUnique({ where: { id } });
    if (!channel) throw new FleetError(FleetErrorCode.channelNotFound, `no channel with id ${id}`);
    const rules = await tx.alertRule.findMany({ where: { channelIds: { has: id } } });
    for (const rule of rules) {
      await tx.alertRule.update({
        where: { id: rule.id },
        data: { channelIds: rule.channelIds.filter((c) => c !== id) },
      });
      emit('alertRuleUpdated', { ruleId: rule.id });
    }
    await tx.notificationChannel.delete({ where: { id } });
    const view = { name: channel.name, type: channel.type, urlHint: channel.urlHint };
    await recordAudit(tx, actor, 'channel.delete', { type: 'channel', id }, view, null);
    return info(channel);
  });
}

/**
 * The URL and secret of a stored channel. Call only to send a notification; never log the result.
 * Throws an Error when no key is configured or the row does not decrypt.
 */
export function openChannel(ctx: FleetContext, channel: NotificationChannel): ChannelTarget {
  const keyring = requireKeyring(ctx);
  return JSON.parse(open(keyring, SEAL_SCOPE, channel.id, channel)) as ChannelTarget;
}

/** The X-Flotilla-Signature value for `body` sent at `timestamp` (unix seconds). Pure. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Check a received webhook the way the header comment describes: the signature matches and the
 * timestamp is within SIGNATURE_TOLERANCE_SECONDS of `nowSeconds`. Pure; never throws.
 */
export function verifyWebhook(
  secret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  body: string,
  nowSeconds: number,
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > SIGNATURE_TOLERANCE_SECONDS)
    return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(headers.signature ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
