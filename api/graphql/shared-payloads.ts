/**
 * Each subscription result serialized once, however many sockets send it. Sockets that share an
 * execution (shared-subscriptions.ts) get the same result object, and graphql-ws serializes the
 * whole message per socket: with 100 dashboards watching the fleet, that JSON.stringify (and the
 * garbage of its strings) was the largest part of what each extra dashboard cost the server.
 *
 * graphql-ws lets `onNext` replace a message's payload but not how the message is written, so the
 * payload it gets is a placeholder (`{"$sharedPayload":n}`), and the connection's WebSocket
 * (`SharedPayloadSocket`, the class the WebSocketServer creates) swaps the placeholder for the
 * result's JSON, made once per result object, as it sends the message. What reaches the client is
 * byte for byte what graphql-ws would have sent (errors through their toJSON).
 */
import type { ExecutionResult, FormattedExecutionResult } from 'graphql';
import { WebSocket } from 'ws';

const PLACEHOLDER_KEY = '$sharedPayload';
/** How a placeholder payload ends a serialized graphql-ws message (`payload` is its last key). */
const PLACEHOLDER_START = `,"payload":{"${PLACEHOLDER_KEY}":`;

const serialized = new WeakMap<ExecutionResult, string>();

/** The JSON of `result` as graphql-ws writes a `next` payload (errors by their toJSON); made once per result object. */
function payloadJson(result: ExecutionResult): string {
  let json = serialized.get(result);
  if (json === undefined) {
    const { errors, ...rest } = result;
    json = JSON.stringify(errors ? { ...rest, errors: errors.map((e) => e.toJSON()) } : rest);
    serialized.set(result, json);
  }
  return json;
}

/** A server-side WebSocket that writes shared results' JSON in place of their placeholders. */
export class SharedPayloadSocket extends WebSocket {
  /** Placeholders handed out and not sent yet, by number. */
  private readonly waiting = new Map<number, ExecutionResult>();
  private lastPlaceholder = 0;

  /**
   * A payload standing for `result` in the next message that carries it on this socket (typed as
   * the formatted result graphql-ws's `onNext` returns; it is one only once swapped).
   */
  placeholder(result: ExecutionResult): FormattedExecutionResult {
    const n = ++this.lastPlaceholder;
    this.waiting.set(n, result);
    return { [PLACEHOLDER_KEY]: n } as FormattedExecutionResult;
  }

  override send(data: unknown, ...rest: unknown[]): void {
    const message = typeof data === 'string' && this.waiting.size > 0 ? this.swap(data) : data;
    (super.send as (...args: unknown[]) => void).call(this, message, ...rest);
  }

  /** `message` with its placeholder payload replaced by the result's JSON (unchanged without one). */
  private swap(message: string): string {
    // Inside a JSON string every quote is escaped, so these quotes can only be the message's own.
    const at = message.lastIndexOf(PLACEHOLDER_START);
    if (at < 0 || !message.endsWith('}}')) return message;
    const n = Number(message.slice(at + PLACEHOLDER_START.length, -2));
    const result = this.waiting.get(n);
    if (!result) return message;
    this.waiting.delete(n);
    return `${message.slice(0, at)},"payload":${payloadJson(result)}}`;
  }
}
