/**
 * Encryption of secret values at rest: AES-256-GCM (node:crypto) under FLOTILLA_SECRET_KEY, a
 * random 96-bit IV per value, and the secret's scope and name as additional data (a ciphertext
 * copied onto another secret's row does not decrypt). Each row records the id of the key that
 * encrypted it (a sha256 prefix of the key, never the key), so rotation finds the rows to
 * re-encrypt and a missing old key is named in the error.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** The current key and the previous ones still accepted for decryption (FLOTILLA_SECRET_KEY_PREVIOUS). */
export interface SecretKeyring {
  current: { id: string; key: Buffer };
  previous: { id: string; key: Buffer }[];
}

export interface Sealed {
  ciphertext: string;
  keyId: string;
}

const ALGORITHM = 'aes-256-gcm';

/** Why a key string is unusable, or null: 32 bytes as base64 (`openssl rand -base64 32`) or 64 hex digits. */
export function keyProblem(text: string): string | null {
  return decodeKey(text) ? null : 'must be 32 bytes as base64 (openssl rand -base64 32) or as 64 hex digits';
}

function decodeKey(text: string): Buffer | null {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) return null;
  const key = Buffer.from(trimmed, 'base64');
  return key.length === 32 ? key : null;
}

const keyIdOf = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 16);

/**
 * Build the keyring from the environment's strings. Call after keyProblem accepted each one
 * (config.ts does); throws on a key that does not decode.
 */
export function createKeyring(current: string, previous: string[] = []): SecretKeyring {
  const entry = (text: string) => {
    const key = decodeKey(text);
    if (!key) throw new Error('invalid secret key');
    return { id: keyIdOf(key), key };
  };
  return { current: entry(current), previous: previous.map(entry) };
}

const aad = (scope: string, name: string) => Buffer.from(`flotilla-secret:${scope}:${name}`, 'utf8');

/** Encrypt `value` for the secret `name` of `scope` under the current key. Never fails. */
export function seal(keyring: SecretKeyring, scope: string, name: string, value: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv(ALGORITHM, keyring.current.key, iv);
  cipher.setAAD(aad(scope, name));
  const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  const parts = [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url'));
  return { ciphertext: parts.join('.'), keyId: keyring.current.id };
}

/**
 * Decrypt a stored value. Throws an Error naming the key id when no key of the ring has that id,
 * or when the ciphertext was tampered with or belongs to another secret (GCM authentication).
 */
export function open(keyring: SecretKeyring, scope: string, name: string, sealed: Sealed): string {
  const entry = [keyring.current, ...keyring.previous].find((k) => k.id === sealed.keyId);
  if (!entry) {
    throw new Error(
      `secret "${name}" is encrypted with key ${sealed.keyId}, which is neither FLOTILLA_SECRET_KEY nor in FLOTILLA_SECRET_KEY_PREVIOUS`,
    );
  }
  const [iv, tag, body] = sealed.ciphertext.split('.').map((p) => Buffer.from(p, 'base64url'));
  const decipher = createDecipheriv(ALGORITHM, entry.key, iv);
  decipher.setAAD(aad(scope, name));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    throw new Error(`secret "${name}" does not decrypt with key ${sealed.keyId}: it was altered or moved`);
  }
}
