/**
 * The simulator's HTTP client: the agent's transport (createClient) over undici connections
 * driven through `dispatch`, instead of node:http (agent/transport/http.ts), which the agent keeps
 * because its bundle has no dependencies. Simulated agents share the machine with the server they
 * measure, and per request node:http's client costs the simulator about 2 × what undici's
 * dispatch does (request and response objects, streams, an agent's socket bookkeeping): with it,
 * the simulator rather than the server was the bound of the one-box benchmarks. The wire is the
 * same: the same requests, the same keep-alive sockets, answers buffered whole as the agent's are.
 *
 * Connections: undici Clients, one request at a time, the idle ones in a last-in first-out list,
 * so a request takes one in constant time (a Pool searches its connections linearly, and most of a
 * fleet's hold a long-poll) and a connection is reused as soon as its answer is read. One lane of
 * them per source address, because one loopback source address gives only ~28k ephemeral ports
 * towards one server port.
 */
import { Client, type Dispatcher } from 'undici';
import {
  abortError,
  bufferedResponse,
  MAX_RESPONSE_BYTES,
  settleOnce,
  type Fetch,
} from '../transport/http.ts';

/** Keep-alive connections for the simulator, in one lane per source address. */
export interface SocketPool {
  /** Number of lanes: give each virtual agent one, e.g. `index mod lanes`. */
  readonly lanes: number;
  /** The fetch of lane `lane mod lanes`. */
  fetchFor(lane: number): Fetch;
  /** Sockets open right now, busy or idle. */
  openSockets(): number;
  /** Close every socket. */
  destroy(): void;
}

/**
 * One lane for each of `addresses` (none given: one lane, and the OS picks the source address).
 * Connections are opened as requests need them and kept while the server keeps them (it advertises
 * its keep-alive timeout; a closed one reconnects on its next request). No timeouts of its own:
 * the transport's abort signal is the request's only deadline. Never throws; binding errors
 * surface as rejected requests.
 */
export function createSocketPool(addresses: string[], maxResponseBytes = MAX_RESPONSE_BYTES): SocketPool {
  const sources = addresses.length > 0 ? addresses : [undefined];
  let open = 0;
  const made: Client[] = [];
  const connect = (origin: string, localAddress: string | undefined): Client => {
    const client = new Client(origin, {
      pipelining: 1,
      headersTimeout: 0,
      bodyTimeout: 0,
      ...(localAddress ? { localAddress } : {}),
    });
    client.on('connect', () => void open++).on('disconnect', () => void open--);
    made.push(client);
    return client;
  };
  const lanes = sources.map((localAddress) => {
    const byOrigin = new Map<string, Client[]>();
    const take = (origin: string): { client: Client; release(): void } => {
      let idle = byOrigin.get(origin);
      if (!idle) byOrigin.set(origin, (idle = []));
      const client = idle.pop() ?? connect(origin, localAddress);
      let given = false;
      const release = (): void => {
        if (given) return;
        given = true;
        idle.push(client);
      };
      return { client, release };
    };
    return dispatchFetch(take, maxResponseBytes);
  });
  return {
    lanes: lanes.length,
    fetchFor: (lane) => lanes[lane % lanes.length],
    openSockets: () => open,
    destroy() {
      for (const client of made) client.destroy().catch(() => undefined);
    },
  };
}

/** A connection taken for one request, given back once it ended (answered, failed or aborted). */
type Take = (origin: string) => { client: Client; release(): void };

/** A fetch over one lane's connections; rejects on network errors, on abort and on a too large answer. */
function dispatchFetch(take: Take, maxBytes: number): Fetch {
  return (url, init) =>
    new Promise((resolve, reject) => {
      const { signal } = init;
      if (signal.aborted) return reject(abortError(signal));
      const pathAt = url.indexOf('/', url.indexOf('//') + 2);
      const origin = pathAt < 0 ? url : url.slice(0, pathAt);
      let controller: Dispatcher.DispatchController | undefined;
      let failure: Error | undefined;
      const settle = settleOnce(signal, () => fail(abortError(signal)));
      const fail = (error: Error): void => {
        failure ??= error;
        controller?.abort(error);
        settle(() => reject(error));
      };
      let status = 0;
      let headers: Record<string, string | string[] | undefined> = {};
      const chunks: Buffer[] = [];
      let size = 0;
      const connection = take(origin);
      connection.client.dispatch(
        {
          path: pathAt < 0 ? '/' : url.slice(pathAt),
          method: init.method as Dispatcher.HttpMethod,
          headers: init.headers,
          body: init.body,
        },
        {
          // An abort before the request reached a connection ends it as soon as it does.
          onRequestStart: (c) => {
            controller = c;
            if (failure) c.abort(failure);
          },
          onResponseStart: (_c, statusCode, responseHeaders) => {
            status = statusCode;
            headers = responseHeaders;
          },
          onResponseData: (_c, chunk) => {
            size += chunk.length;
            if (size <= maxBytes) chunks.push(chunk);
            else fail(new Error('response too large'));
          },
          onResponseEnd: () => {
            connection.release();
            settle(() =>
              resolve(
                bufferedResponse(status, headers, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)),
              ),
            );
          },
          onResponseError: (_c, error) => {
            connection.release();
            fail(error);
          },
        },
      );
    });
}
