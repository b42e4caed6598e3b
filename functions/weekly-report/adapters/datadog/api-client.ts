/**
 * The only place that imports @datadog/datadog-api-client, and it imports narrowly: the package
 * root pulls in every v1/v2 API (esbuild --minify: ≈10 MB); the Audit, Metrics and Teams APIs plus
 * the common runtime are ≈4.6 MB (4,556,721 bytes; 4,491,234 before the Teams API), the v2 model
 * serializer, which they share, being most of it.
 * These are internal `dist/` paths, which is why package.json pins the client's version: check
 * them (and `npx esbuild --bundle` size) when upgrading.
 */

/** The client's own logger (loglevel): it prints failed requests to the console unless routed. */
export { logger as datadogClientLogger } from '@datadog/datadog-api-client/dist/logger';
export {
  BaseServerConfiguration,
  type Configuration,
  createConfiguration,
  type ResponseContext,
} from '@datadog/datadog-api-client/dist/packages/datadog-api-client-common';
export {
  AuditApi,
  AuditApiResponseProcessor,
} from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v2/apis/AuditApi';
export {
  MetricsApi,
  MetricsApiResponseProcessor,
} from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v2/apis/MetricsApi';
export {
  TeamsApi,
  TeamsApiResponseProcessor,
} from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v2/apis/TeamsApi';
export type { AuditLogsEventsResponse } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v2/models/AuditLogsEventsResponse';
export type { AuditLogsSearchEventsRequest } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v2/models/AuditLogsSearchEventsRequest';
export type { ScalarFormulaQueryRequest } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v2/models/ScalarFormulaQueryRequest';
export type { ScalarFormulaQueryResponse } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v2/models/ScalarFormulaQueryResponse';
export type { TeamsResponse } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v2/models/TeamsResponse';
export type { UserTeamsResponse } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v2/models/UserTeamsResponse';
