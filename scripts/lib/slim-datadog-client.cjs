/**
 * The slim Datadog client, shared by the two bundles that carry @datadog/datadog-api-client: the
 * command line's (scripts/build-cli.cjs) and the Lambda function's (scripts/lib/function-bundle.cjs).
 * Two esbuild plugins:
 * - usedSerializerOnly: the client's v2 ObjectSerializer requires all ~6,200 v2 model files to
 *   serialize one request type (74 % of the function's bundle before, and 1.1-1.4 s of its cold
 *   start); the plugin keeps only the models the Audit, Metrics and Teams APIs name and the models
 *   they reference. The rest of the serializer is the client's own code, unchanged;
 *   test/integration/cli-build.test.ts checks that the slim client sends the audit search, the
 *   metric query and the Teams API's requests exactly as the full client does.
 * - transportStandIns: small stand-ins for cross-fetch and pako (TRANSPORT_STAND_INS says why),
 *   which also keeps node-fetch, whatwg-url and tr46 (Node 24's `punycode` deprecation warning)
 *   out of both bundles.
 *
 * Plain CommonJS that loads only node:fs and node:path: build-cli.cjs runs before anything is
 * compiled, and the CDK app runs function-bundle.cjs in a child process.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

/**
 * The v2 APIs and operations the function and the command line call (adapters/datadog/), and for
 * each API one model its kept operations must still (de)serialize, a check that the client's
 * layout is what this build expects: the audit search, the MCP usage metric query, and the teams
 * and team memberships of team-scoped reports. Every other operation of these APIs is left out,
 * its code and its models (the Teams API has 35 operations, the Metrics API 20): calling one throws
 * an error that names this list. Importing any other v2 API fails the build, naming this list:
 * its models would otherwise be missing at run time.
 */
const SLIM_APIS = {
  AuditApi: { operations: ['searchAuditLogs'], model: 'AuditLogsSearchEventsRequest' },
  MetricsApi: { operations: ['queryScalarData'], model: 'ScalarFormulaQueryRequest' },
  TeamsApi: { operations: ['listTeams', 'getTeamMemberships'], model: 'UserTeamsResponse' },
};

const THIS_FILE = 'scripts/lib/slim-datadog-client.cjs';
const update = (what) => new Error(`datadog-api-client: ${what}; update ${THIS_FILE}`);

/**
 * The compiled source of an API file (apis/<api>.js: a request factory, a response processor and
 * the API class, each method at four spaces of indentation up to a `    }` line) with the body of
 * every method that is not one of `operations` (or a constructor) replaced by a throw.
 * @throws when a kept operation is missing from one of the three classes
 */
function keepOperations(api, source, operations) {
  const keep = new Set(['constructor', ...operations]);
  const lines = source.split('\n');
  const out = [];
  const found = new Map(operations.map((op) => [op, 0]));
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    out.push(line);
    const method = /^ {4}(?:async )?(\w+)\(.*\) \{$/.exec(line);
    if (!method) continue;
    const end = lines.indexOf('    }', i + 1);
    if (end < 0) throw update(`${api}.js: method ${method[1]} has no end`);
    if (found.has(method[1])) found.set(method[1], found.get(method[1]) + 1);
    if (keep.has(method[1])) continue;
    out.push(`        throw leftOut(${JSON.stringify(`${api}.${method[1]}`)});`);
    i = end - 1;
  }
  for (const [op, count] of found) {
    if (count !== 3) throw update(`${api} has ${count} methods ${op} instead of 3 (request, response, API)`);
  }
  out.push(
    'function leftOut(name) {',
    `  return new Error("datadog-api-client: " + name + " is left out of the slim client; add it to SLIM_APIS in ${THIS_FILE}");`,
    '}',
  );
  return out.join('\n');
}

/** Models named in the kept operations' (de)serialize calls, and every model, enum or oneOf they reference, transitively. */
function usedModels(modelsDir, serializerSource) {
  const modelNames = new Set([...serializerSource.matchAll(/^ {4}(\w+): \1_1\.\1,$/gm)].map((m) => m[1]));
  const oneOfs = new Map();
  const oneOfBlock = /const oneOfMap = \{([\s\S]*?)\n\};/.exec(serializerSource);
  if (!oneOfBlock) throw update('ObjectSerializer has no oneOfMap');
  for (const m of oneOfBlock[1].matchAll(/^ {4}(\w+): \[([^\]]*)\]/gm)) {
    oneOfs.set(
      m[1],
      [...m[2].matchAll(/"(\w+)"/g)].map((n) => n[1]),
    );
  }
  const keep = new Set();
  const visit = (name) => {
    if (keep.has(name)) return;
    if (oneOfs.has(name)) {
      for (const member of oneOfs.get(name)) visit(member);
      return;
    }
    if (!modelNames.has(name)) return; // a primitive, an enum or a type the serializer handles itself
    keep.add(name);
    const model = fs.readFileSync(path.join(modelsDir, `${name}.js`), 'utf8');
    for (const t of model.matchAll(/type: "([^"]+)"/g)) {
      for (const word of t[1].matchAll(/[A-Za-z_]\w*/g)) visit(word[0]);
    }
  };
  for (const [api, { operations, model }] of Object.entries(SLIM_APIS)) {
    const full = fs.readFileSync(path.join(modelsDir, '..', 'apis', `${api}.js`), 'utf8');
    const source = keepOperations(api, full, operations);
    const roots = [...source.matchAll(/ObjectSerializer\.(?:de)?serialize\([^;]*?"(\w+)"/g)].map((m) => m[1]);
    if (!roots.includes(model)) throw update(`${api} no longer serializes ${model}`);
    for (const root of roots) visit(root);
  }
  return keep;
}

/** The client's v2 ObjectSerializer with only `keep` among its model requires and typeMap entries. */
function slimSerializer(source, keep) {
  let dropped = 0;
  const models = new Set([...source.matchAll(/^const (\w+)_1 = require\("\.\/(\w+)"\);$/gm)].map((m) => m[1]));
  const lines = source.split('\n').filter((line) => {
    const required = /^const (\w+)_1 = require\("\.\/(\w+)"\);$/.exec(line);
    const mapped = /^ {4}(\w+): \1_1\.\1,$/.exec(line);
    const name = required?.[1] ?? mapped?.[1];
    if (name === undefined || keep.has(name)) return true;
    dropped++;
    return false;
  });
  const slim = lines.join('\n');
  // Every model the remaining code names must still be required, or the bundle would fail at run time.
  for (const m of slim.matchAll(/\b(\w+)_1\.\1\b/g)) {
    if (models.has(m[1]) && !keep.has(m[1])) throw update(`ObjectSerializer still uses ${m[1]}`);
  }
  if (dropped < 1000) throw update('ObjectSerializer has an unexpected shape');
  return slim;
}

/**
 * esbuild plugin: the v2 ObjectSerializer slimmed to the models of the operations we call, those
 * operations alone in the API files, and a build error for any other v2 API.
 */
const usedSerializerOnly = {
  name: 'datadog-used-serializer',
  setup(build) {
    build.onLoad({ filter: /datadog-api-client-v2[\\/]apis[\\/]\w+\.js$/ }, async (args) => {
      const api = path.basename(args.path, '.js');
      if (api === 'index') throw update('the v2 API index (every API) is imported; import each API from its own file');
      const used = SLIM_APIS[api];
      if (used === undefined) throw update(`${api} is imported but not in SLIM_APIS`);
      const source = await fs.promises.readFile(args.path, 'utf8');
      return {
        contents: keepOperations(api, source, used.operations),
        loader: 'js',
        resolveDir: path.dirname(args.path),
      };
    });
    build.onLoad({ filter: /datadog-api-client-v2[\\/]models[\\/]ObjectSerializer\.js$/ }, async (args) => {
      const source = await fs.promises.readFile(args.path, 'utf8');
      const keep = usedModels(path.dirname(args.path), source);
      return { contents: slimSerializer(source, keep), loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

/**
 * The client's two transport helpers, replaced in both bundles: together ~510 KB of the client's
 * ~1.4 MB and ~30 ms of every start that loads it. Both are reached from one file of the client
 * (datadog-api-client-common/http/isomorphic-fetch.js):
 * - cross-fetch (node-fetch, whatwg-url, tr46): the fetch used when none is configured, and
 *   adapters/datadog/client.ts always configures one. The stand-in is the global fetch.
 * - pako: compresses request bodies sent with `Content-Encoding: gzip` or `deflate`, which no
 *   audit, metrics or teams request is. The stand-in does it with node:zlib, into a Uint8Array of
 *   its own (the client sends `result.buffer`, so the buffer must hold exactly the result).
 */
const TRANSPORT_STAND_INS = {
  'cross-fetch': 'module.exports = { fetch: (...args) => globalThis.fetch(...args) };',
  pako: [
    "const zlib = require('node:zlib');",
    'const own = (bytes) => new Uint8Array(bytes);',
    'module.exports = { gzip: (data) => own(zlib.gzipSync(data)), deflate: (data) => own(zlib.deflateSync(data)) };',
  ].join('\n'),
};

/** esbuild plugin: TRANSPORT_STAND_INS instead of the packages. */
const transportStandIns = {
  name: 'datadog-transport-stand-ins',
  setup(build) {
    build.onResolve({ filter: /^(cross-fetch|pako)$/ }, (args) => ({ path: args.path, namespace: 'stand-in' }));
    build.onLoad({ filter: /.*/, namespace: 'stand-in' }, (args) => ({
      contents: TRANSPORT_STAND_INS[args.path],
      loader: 'js',
    }));
  },
};

/** The plugins, in the order both builds use them. */
const SLIM_CLIENT_PLUGINS = [usedSerializerOnly, transportStandIns];

module.exports = { SLIM_APIS, SLIM_CLIENT_PLUGINS, TRANSPORT_STAND_INS, transportStandIns, usedSerializerOnly };
