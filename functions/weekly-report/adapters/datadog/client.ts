/**
 * @datadog/datadog-api-client configured the way every Datadog adapter here needs it, built once
 * per adapter: the keys, the site (or any base URL: tests, proxies), no retries of its own (they
 * are ours, retry.ts: the client's sleeps for `X-RateLimit-Reset` with no cap), a timeout
 * in whole milliseconds on every request, and its own log lines routed into our JSON log stream.
 *
 * The keys go to the configured host and nowhere else:
 * - A base URL must be https: (plain http only to a loopback stand-in: config/api-url.ts).
 * - No redirect is followed, whatever the transport: the global fetch is asked for
 *   `redirect: 'manual'` (node-transport.ts never follows one), and a 3xx answer fails the request
 *   with a DatadogApiError naming the redirect, which no retry repeats. A redirect is never an
 *   empty answer: a proxy that sends every request elsewhere makes the read fail, not a quiet week.
 * - A transport's error never carries its message on (undici's `Headers.append: "<value>" is an
 *   invalid header value` quotes the key): it becomes `fetch failed` with only the error's code.
 *   And a key holding a control character or a space is refused before any request.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { apiBaseUrlProblem } from '../../config/api-url';
import { redact } from '../../redact';
import { redirectOf, transportFailure } from '../http-guard';
import { BaseServerConfiguration, type Configuration, createConfiguration, datadogClientLogger } from './api-client';
import { DatadogApiError } from './errors';

/** What the client reads of a fetch response: the global fetch's Response is one. */
export interface TransportResponse {
  readonly status: number;
  readonly headers: { forEach(callback: (value: string, name: string) => void): void };
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** The client's transport: the global fetch, or one like it (adapters/datadog/node-transport.ts). */
export type Transport = (url: string, init?: RequestInit) => Promise<TransportResponse>;

export interface DatadogClientOptions {
  readonly apiKey: string;
  readonly appKey: string;
  /** Datadog site, e.g. `datadoghq.eu`. @default 'datadoghq.com' */
  readonly site?: string;
  /** Any base URL (DD_API_URL: tests, proxies); wins over `site`. */
  readonly baseUrl?: string;
  /** The transport. @default the global fetch (undici: keep-alive) */
  readonly fetch?: Transport;
  /** Where the client's own log lines go (they would otherwise be unstructured console output). */
  readonly onClientLog?: (message: string) => void;
}

export interface DatadogClient {
  /** The configuration to build an API class with (`new AuditApi(configuration, …)`). */
  readonly configuration: Configuration;
  /** `host` of the API, for messages. */
  readonly target: string;
  /** Runs `call`; every request it makes is aborted after `timeoutMs` (made a whole number ≥ 1). */
  withTimeout<T>(timeoutMs: number, call: () => Promise<T>): Promise<T>;
}

/** Describes one client log call without its objects (they may hold request details). */
function describeLogArgs(args: readonly unknown[]): string {
  return args
    .map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : typeof a === 'string' ? a.trim() : ''))
    .filter((s) => s !== '')
    .map(redact)
    .join(' ')
    .slice(0, 300);
}

/**
 * The client logs failed requests itself (`console.error` with the whole error object), which
 * breaks a JSON log stream. Its logger is a process-wide singleton: route it once, to the sink
 * of the most recently created client.
 */
let clientLogSink: ((message: string) => void) | undefined;
let clientLoggerRouted = false;
function routeClientLogs(sink: ((message: string) => void) | undefined): void {
  clientLogSink = sink;
  if (clientLoggerRouted) return;
  clientLoggerRouted = true;
  const logger = datadogClientLogger as {
    methodFactory: (...args: unknown[]) => (...args: unknown[]) => void;
    rebuild(): void;
  };
  logger.methodFactory =
    () =>
    (...args: unknown[]) =>
      clientLogSink?.(describeLogArgs(args));
  logger.rebuild();
}

/** A header value fetch would refuse, and a message quoting it: a line break, a NUL, any control character, a space. */
const UNSENDABLE = /[\p{Cc}\s]/u;

export function createDatadogClient(options: DatadogClientOptions): DatadogClient {
  const transport = options.fetch ?? globalThis.fetch;
  if (options.baseUrl !== undefined) {
    const problem = apiBaseUrlProblem(options.baseUrl);
    if (problem !== undefined) throw new Error(`The Datadog base URL (DD_API_URL) ${problem}`);
  }
  for (const [name, value] of [
    ['API key (DD_API_KEY)', options.apiKey],
    ['application key (DD_APP_KEY)', options.appKey],
  ] as const) {
    if (UNSENDABLE.test(value)) {
      throw new Error(
        `The Datadog ${name} holds a line break, a control character or a space: store the key as Datadog shows it`,
      );
    }
  }
  const target = options.baseUrl ? new URL(options.baseUrl).host : `api.${options.site ?? 'datadoghq.com'}`;
  routeClientLogs(options.onClientLog);

  // Each request's timeout travels with its async context into our fetch, which the client calls
  // after awaits of its own (concurrent requests interleave there).
  const requestTimeout = new AsyncLocalStorage<number>();
  const timedFetch = async (url: string, init: RequestInit): Promise<TransportResponse> => {
    const timeout = AbortSignal.timeout(requestTimeout.getStore() ?? 30_000);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    let response: TransportResponse;
    try {
      response = await transport(url, { ...init, signal, redirect: 'manual' });
    } catch (error) {
      throw signal.aborted && error === signal.reason ? error : transportFailure(error);
    }
    const redirect = redirectOf(response, url);
    if (redirect !== undefined) {
      // The body is not wanted; reading it frees the connection.
      response.arrayBuffer().catch(() => undefined);
      throw redirectRefused(response.status, redirect, target);
    }
    return response;
  };
  const configuration = createConfiguration({
    authMethods: { apiKeyAuth: options.apiKey, appKeyAuth: options.appKey },
    ...(options.baseUrl ? { baseServer: new BaseServerConfiguration(options.baseUrl.replace(/\/+$/, ''), {}) } : {}),
    fetch: timedFetch,
    // Retries are ours (retry.ts): the client's own sleeps for X-RateLimit-Reset with no cap.
    enableRetry: false,
  });
  if (!options.baseUrl) configuration.setServerVariables({ site: options.site ?? 'datadoghq.com' });

  return {
    configuration,
    target,
    withTimeout(timeoutMs, call) {
      // AbortSignal.timeout throws on a fractional or non-positive delay.
      return requestTimeout.run(Math.max(1, Math.floor(timeoutMs)), call);
    },
  };
}

/** The error of a 3xx answer: it names the redirect and where the keys went, never where it pointed. */
function redirectRefused(status: number, where: string, target: string): DatadogApiError {
  return new DatadogApiError(
    status,
    `Datadog answered with a redirect (HTTP ${status}, ${where}), which is never followed: ` +
      `the keys are sent to ${target} only. Set DD_API_URL (or the site) to the API's own address, or fix the proxy in between`,
  );
}
