/**
 * The simulator's HTTP client: the agent's transport (createClient) over undici connections
 * driven through `dispatch`, instead of node:http (agent/transport/http.ts), which the agent keeps
 * because its bundle has no dependencies. Simulated agents share the machine with the server they
 * measure, and per request node:http's client costs the simulator about 2 × what undici's
 * dispatch does (request and response objects, streams, an agent's socket bookkeeping): with it,
 * the simulator rather than the server was the bound of the one-box benchmarks. The wire is the
 * same: the same requests, the same keep-alive sockets, answers buffered whole as the agent's are.
 *
 * Connections: undici Clients, one request at a time, shared by the agents of a lane (one lane per
 * source address, because one loopback source address gives only ~28k ephemeral ports towards one
 * server port). A real agent keeps two sockets (its held poll, and its heartbeats' idle between
 * beats); a fleet simulated on the server's own machine cannot, because the server's open-file
 * limit would then be reached at half the fleet size. So a lane keeps at most `maxConnections` open
 * (its share: the pool's maximum over its lanes), and a request waits for a free one beyond that.
 * Idle connections are reused oldest first, so every kept connection carries a request now and
 * then and stays open, as a real agent's heartbeat socket does; newest first would leave most of
 * them idle after a burst (a change, when every agent reports while its poll is held), and those
 * would reach the keep-alive timeout in the same second, a burst of closes for the server.
 */
import Denque from 'denque';
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
 * One lane for each of `addresses` (none given: one lane, and the OS picks the source address), at
 * most `maxConnections` connections to an origin over all lanes (default: no limit; a fleet talks
 * to one server). Connections are opened as requests
 * need them and kept while the server keeps them (it advertises its keep-alive timeout; a closed
 * one reconnects on its next request). No timeouts of its own: the transport's abort signal is the
 * request's only deadline, also while it waits for a connection. Never throws; binding errors
 * surface as rejected requests.
 */
export function createSocketPool(
  addresses: string[],
  maxConnections = Infinity,
  maxResponseBytes = MAX_RESPONSE_BYTES,
): SocketPool {
  const sources = addresses.length > 0 ? addresses : [undefined];
  const perLane = Math.max(1, Math.ceil(maxConnections / sources.length));
  let open = 0;
  const made: Client[] = [];
  const lanes = sources.map((localAddress) => {
    const byOrigin = new Map<string, Lane>();
    const connect = (origin: string): Client => {
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
    return dispatchFetch((origin) => {
      let lane = byOrigin.get(origin);
      if (!lane) byOrigin.set(origin, (lane = new Lane(() => connect(origin), perLane)));
      return lane;
    }, maxResponseBytes);
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

interface Waiter {
  use(client: Client): void;
  withdrawn: boolean;
}

/** One lane's connections to one origin: at most `max`, the idle ones reused oldest first. */
class Lane {
  private readonly idle = new Denque<Client>();
  private readonly waiting = new Denque<Waiter>();
  private count = 0;

  constructor(
    private readonly connect: () => Client,
    private readonly max: number,
  ) {}

  /** Call `use` with a connection now or once one is free; the result withdraws a wait not yet served. */
  take(use: (client: Client) => void): () => void {
    const idle = this.idle.shift();
    if (idle) return (use(idle), noop);
    if (this.count < this.max) {
      this.count++;
      return (use(this.connect()), noop);
    }
    const waiter: Waiter = { use, withdrawn: false };
    this.waiting.push(waiter);
    return () => void (waiter.withdrawn = true);
  }

  /** The request on `client` ended: give it to the longest waiting request, else keep it idle. */
  release(client: Client): void {
    for (let next = this.waiting.shift(); next; next = this.waiting.shift())
      if (!next.withdrawn) return next.use(client);
    this.idle.push(client);
  }
}

const noop = (): void => undefined;

/** A fetch over one lane's connections; rejects on network errors, on abort and on a too large answer. */
function dispatchFetch(laneFor: (origin: string) => Lane, maxBytes: number): Fetch {
  return (url, init) =>
    new Promise((resolve, reject) => {
      const { signal } = init;
      if (signal.aborted) return reject(abortError(signal));
      const pathAt = url.indexOf('/', url.indexOf('//') + 2);
      const origin = pathAt < 0 ? url : url.slice(0, pathAt);
      let controller: Dispatcher.DispatchController | undefined;
      let failure: Error | undefined;
      const settle = settleOnce(signal, () => fail(abortError(signal)));
      let withdraw = noop;
      const fail = (error: Error): void => {
        failure ??= error;
        withdraw();
        controller?.abort(error);
        settle(() => reject(error));
      };
      let status = 0;
      let headers: Record<string, string | string[] | undefined> = {};
      const chunks: Buffer[] = [];
      let size = 0;
      const lane = laneFor(origin);
      const send = (client: Client): void => {
        let released = false;
        const release = (): void => {
          if (!released) lane.release(client);
          released = true;
        };
        client.dispatch(
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
              release();
              settle(() =>
                resolve(
                  bufferedResponse(status, headers, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)),
                ),
              );
            },
            onResponseError: (_c, error) => {
              release();
              fail(error);
            },
          },
        );
      };
      withdraw = lane.take(send);
    });
}
