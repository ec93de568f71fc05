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
  body?: string;
  /** Paths to request in order, cycling (order reads). */
  paths?: readonly string[];
};

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  let next = 0;
  const bodies = spec.bodies;
  const paths = spec.paths;
  const request = {
    method: spec.method,
    path: spec.path,
    headers: spec.headers ?? {},
    ...(spec.body === undefined ? {} : { body: spec.body }),
    setupRequest: bodies === undefined && paths === undefined ? undefined : (req: { body?: string | Buffer; path?: string }) => {
      const i = next++;
      if (bodies !== undefined) req.body = bodies[i % bodies.length];
      if (paths !== undefined) req.path = paths[i % paths.length];
      return req;
    },
  };
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    ...(spec.amount === undefined ? { duration: spec.durationSec ?? 10 } : { amount: spec.amount }),
    timeout: 30,
    requests: [request],
  });
  const completed = result['2xx'] + result.non2xx;
  return {
    label: spec.label,
    requests: completed,
    durationSec: result.duration,
    rps: result.duration > 0 ? completed / result.duration : Number.NaN,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
