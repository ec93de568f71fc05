// autocannon on loopback, with the numbers the report needs. autocannon records latency in whole milliseconds and only
// for 2xx answers, so every run also reports non-2xx and errors, and a run with any of them is flagged.
import autocannon from 'autocannon';

export type LoadResult = {
  label: string;
  requests: number;
  durationSec: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  peakRssBytes?: number;
};

export type LoadSpec = {
  label: string;
  url: string;
  connections: number;
  /** Either a fixed number of requests (each body used once) or a duration. */
  amount?: number;
  durationSec?: number;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** Bodies to send in order, one per request (unique notifications); or a single body for every request. */
  bodies?: readonly string[];
  /** Per-request headers, in the same order as bodies (v3 notifications carry their signature in headers). */
  perRequestHeaders?: readonly Record<string, string>[];
  body?: string;
  /** Paths to request in order, cycling (order reads). */
  paths?: readonly string[];
  /** Sees every answer (to collect created orders, or to check each reply). */
  onResponse?: (status: number, body: string) => void;
};

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  let next = 0;
  let answered = 0;
  let lastAnswerAt = 0;
  const bodies = spec.bodies;
  const paths = spec.paths;
  const extraHeaders = spec.perRequestHeaders;
  const baseHeaders = spec.headers ?? {};
  const request = {
    method: spec.method,
    path: spec.path,
    headers: spec.headers ?? {},
    ...(spec.body === undefined ? {} : { body: spec.body }),
    // Every answer is timed here: autocannon only notices the end of a fixed-amount run at its next one-second tick,
    // so its own duration (and req/s) is quantised to whole seconds.
    onResponse: (status: number, body: string) => {
      answered++;
      lastAnswerAt = performance.now();
      spec.onResponse?.(status, body);
    },
    // autocannon calls setupRequest whenever the key exists, so it is only set when needed.
    ...(bodies === undefined && paths === undefined ? {} : {
      setupRequest: (req: { body?: string | Buffer; path?: string; headers?: Record<string, string> }) => {
        const i = next++;
        if (bodies !== undefined) req.body = bodies[i % bodies.length];
        if (extraHeaders !== undefined) req.headers = { ...baseHeaders, ...extraHeaders[i % extraHeaders.length] };
        if (paths !== undefined) req.path = paths[i % paths.length];
        return req;
      },
    }),
  };
  const started = performance.now();
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    ...(spec.amount === undefined ? { duration: spec.durationSec ?? 10 } : { amount: spec.amount }),
    timeout: 30,
    requests: [request],
  });
  const wallSec = ((answered > 0 ? lastAnswerAt : performance.now()) - started) / 1000;
  const completed = answered;
  return {
    label: spec.label,
    requests: completed,
    durationSec: wallSec,
    rps: wallSec > 0 ? completed / wallSec : Number.NaN,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
