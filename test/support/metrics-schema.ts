/**
 * Validators of the v2 scalar query's bodies (test/fixtures/datadog/metrics-scalar-schema.json),
 * for the tests that check what the metrics emulator answers and what the metrics source asks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

const SCHEMA_PATH = join(__dirname, '../fixtures/datadog/metrics-scalar-schema.json');

export interface ScalarValidators {
  readonly request: ValidateFunction;
  readonly response: ValidateFunction;
  readonly error: ValidateFunction;
}

export function scalarValidators(): ScalarValidators {
  // The schema marks OpenAPI formats (int64, double); strict mode would refuse nothing else here.
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object);
  const ref = (name: string) => ajv.compile({ $ref: `datadog-metrics-scalar#/definitions/${name}` });
  return {
    request: ref('ScalarFormulaQueryRequest'),
    response: ref('ScalarFormulaQueryResponse'),
    error: ref('APIErrorResponse'),
  };
}
