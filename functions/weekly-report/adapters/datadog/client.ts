/**
 * @datadog/datadog-api-client configured the way every Datadog adapter here needs it, built once
 * per adapter: the keys, the site (or any base URL: tests, proxies), no retries of its own (they
 * are ours, retry.ts: the client's sleeps for `X-RateLimit-Reset` with no cap), a timeout
 * in whole milliseconds on every request, and its own log lines routed into our JSON log stream.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { BaseServerConfiguration, type Configuration, createConfiguration, datadogClientLogger } from './api-client';

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

export function createDatadogClient(options: DatadogClientOptions): DatadogClient {
  const transport = options.fetch ?? globalThis.fetch;
  const target = options.baseUrl ? new URL(options.baseUrl).host : `api.${options.site ?? 'datadoghq.com'}`;
  routeClientLogs(options.onClientLog);

  // Each request's timeout travels with its async context into our fetch, which the client calls
  // after awaits of its own (concurrent requests interleave there).
  const requestTimeout = new AsyncLocalStorage<number>();
  const timedFetch = (url: string, init: RequestInit): Promise<TransportResponse> => {
    const timeout = AbortSignal.timeout(requestTimeout.getStore() ?? 30_000);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return transport(url, { ...init, signal });
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
