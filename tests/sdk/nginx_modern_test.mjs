// Two mcpgate instances on ONE SQLite file behind a real nginx running the shipped
// scripts/nginx/mcpgate.conf, serving modern (2026-07-28) clients with plain round-robin: a
// modern request carries no session id, so the config sends it to the balanced group
// (mcpgate_all) with no affinity. The v2 SDK client takes the tour of Archon's 16 tools through
// nginx; its calls alternate between the instances (each instance's own /metrics counts its
// share; the access log names both upstreams for session-less requests) and all succeed,
// including a write on one instance read back through the other. At the same moment a 1.x SDK
// client's 2025-11-25 session goes through the same nginx, where the config routes it: every
// request of the session to the instance named by its id's stamp. Last, a second pair with a
// shared --state-key-file behind a second nginx: an input_required answer from one instance is
// retried through nginx, lands on the other and completes there.
//
//   node nginx_modern_test.mjs --binary PATH/TO/mcpgate [--nginx PATH/TO/nginx]
//
// nginx runs in the foreground with its prefix, temp files and logs in a temporary folder, and
// is stopped at the end with both instances. The last line is: RESULT passed=N failed=M

import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  check, describeError, expect, expectEqual, finish, options, recordFailure, skip,
} from './harness.mjs';
import { startMcpgate } from './mcpgate_process.mjs';
import { startNginx as startNginxOn } from './nginx_process.mjs';
import { called, ok, tour, writeDocs } from './tools_tour.mjs';
import { metric, wireSpy } from './wire.mjs';

const MODERN = '2026-07-28';
const REQUEST_TIMEOUT_MS = 15000;
const opts = { timeout: REQUEST_TIMEOUT_MS };
const ALTERNATING_CALLS = 20;        // health_check calls in a row, to see the alternation
const SESSION_CALLS = 12;            // the 2025 session's calls during the modern tour
const SESSION_CALL_PAUSE_MS = 20;

const here = dirname(fileURLToPath(import.meta.url));
const shippedConf = join(here, '..', '..', 'scripts', 'nginx', 'mcpgate.conf');
const argValue = options('node nginx_modern_test.mjs --binary PATH [--nginx PATH]', ['--binary']);
const binary = argValue('--binary');
const nginxBin = argValue('--nginx') ?? '/usr/sbin/nginx';

const work = mkdtempSync(join(tmpdir(), 'mcpgate-nginx-modern-'));
const dataPath = join(work, 'shared', 'mcpgate.db');  // both instances' store
const docs = join(work, 'docs');
const prefix = join(work, 'nginx');
const instances = {};
let nginx;

// The shipped config with only the instances' ports, the listen address and the access log
// replaced (as scripts/smoke-nginx.sh does).
function startNginx(ports = { a: instances.a.port, b: instances.b.port }, dir = prefix) {
  return startNginxOn({
    nginx: nginxBin, conf: shippedConf, dir,
    edits: [['127.0.0.1:8051', `127.0.0.1:${ports.a}`], ['127.0.0.1:8052', `127.0.0.1:${ports.b}`]],
  });
}

// Each instance's own count of answered tools/call, read straight from it (not through nginx).
async function toolCalls() {
  const out = {};
  for (const [name, instance] of Object.entries(instances)) {
    const text = await (await fetch(`${instance.url}/metrics`)).text();
    out[name] = metric(text, 'mcpgate_rpc_requests_total', 'method="tools/call",outcome="ok"') ?? 0;
  }
  return out;
}

// An `input_required` answer from one instance, retried with `inputResponses` and its
// `requestState` through nginx, lands on the OTHER instance (round-robin) and completes there:
// the instances share the key that seals requestState (--state-key-file; the first to start
// creates the file, the other reads it). Archon's tools never ask the client for input, so this
// runs on a second pair started with the conformance fixtures (test_input_required_result_*),
// behind a second nginx from the same shipped config.
const STATE_KEY_FILE = join(work, 'state.key');
const RETRY_ATTEMPTS = 4;  // round-robin alternates; a retry on the same instance is tried again

async function modernPost(base, id, method, params, capabilities) {
  const headers = {
    'Content-Type': 'application/json', Accept: 'application/json, text/event-stream',
    'MCP-Protocol-Version': MODERN, 'Mcp-Method': method,
  };
  if (params.name) headers['Mcp-Name'] = params.name;
  const body = {
    jsonrpc: '2.0', id, method,
    params: {
      ...params,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': MODERN,
        'io.modelcontextprotocol/clientCapabilities': capabilities,
        'io.modelcontextprotocol/clientInfo': { name: 'nginx-mrtr', version: '1.0.0' },
      },
    },
  };
  const response = await fetch(`${base}/mcp`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

async function answeredCalls(pair) {
  const out = {};
  for (const [name, instance] of Object.entries(pair)) {
    const text = await (await fetch(`${instance.url}/metrics`)).text();
    out[name] = metric(text, 'mcpgate_rpc_requests_total', 'method="tools/call",outcome="ok"') ?? 0;
  }
  return out;
}

async function servedBy(pair, call) {
  const before = await answeredCalls(pair);
  const answer = await call();
  const after = await answeredCalls(pair);
  return { answer, by: Object.keys(pair).filter((name) => after[name] > before[name]) };
}

async function inputRequiredRetryOnOtherInstance() {
  const pair = {};
  const dir = join(work, 'nginx-mrtr');
  let proxy;
  try {
    await check('modern: an input_required retry through nginx completes on the other instance (shared --state-key-file)', async () => {
      for (const name of ['c', 'd']) {
        pair[name] = await startMcpgate(binary, ['--data', join(work, 'fixtures.db'), '--instance-id', name,
          '--conformance-fixtures', '--state-key-file', STATE_KEY_FILE]);
        pair[name].port = Number(new URL(pair[name].url).port);
      }
      proxy = await startNginx({ a: pair.c.port, b: pair.d.port }, dir);
      const tool = 'test_input_required_result_elicitation';
      const capabilities = { elicitation: {} };
      let crossed = null;
      for (let attempt = 0; attempt < RETRY_ATTEMPTS && !crossed; ++attempt) {
        const first = await servedBy(pair, () => modernPost(proxy.base, 10 + 2 * attempt, 'tools/call', { name: tool, arguments: {} }, capabilities));
        const interim = first.answer.body.result ?? {};
        expectEqual(interim.resultType, 'input_required', 'first answer: resultType');
        expect(typeof interim.requestState === 'string', 'first answer: requestState', 'a string', interim.requestState);
        const retry = await servedBy(pair, () => modernPost(proxy.base, 11 + 2 * attempt, 'tools/call', {
          name: tool, arguments: {},
          inputResponses: { user_name: { action: 'accept', content: { name: 'Alice' } } },
          requestState: interim.requestState,
        }, capabilities));
        const done = retry.answer.body.result ?? {};
        expectEqual(done.resultType, 'complete', `retry (attempt ${attempt + 1}): resultType`);
        expect(JSON.stringify(done.content ?? []).includes('Alice'), 'retry: content', 'names Alice', done.content);
        if (first.by.length === 1 && retry.by.length === 1 && first.by[0] !== retry.by[0]) crossed = [first.by[0], retry.by[0]];
      }
      console.log(`     input_required from ${crossed?.[0]}, completed by ${crossed?.[1]}`);
      expect(crossed !== null, 'instances of the first call and its retry', 'different', crossed);
    });
  } finally {
    if (proxy) await proxy.stop();
    for (const instance of Object.values(pair)) await instance.stop();
  }
}
// ---------------------------------------------------------------------------------------------

async function startInstances() {
  for (const name of ['a', 'b']) {
    instances[name] = await startMcpgate(binary, ['--data', dataPath, '--instance-id', name]);
    instances[name].port = Number(new URL(instances[name].url).port);
  }
}

try {
  writeDocs(docs);
  execFileSync(binary, ['ingest', docs, '--source', 'docs', '--data', dataPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const started = await check('two instances on one SQLite file, nginx with the shipped config in front', async () => {
    await startInstances();
    nginx = await startNginx();
  });
  if (!started) {
    skip('modern clients through nginx', 'set-up failed');
  } else {
    const base = nginx.base;

    // The 2025 session, opened first and held during the modern tour.
    const v1 = new ClientV1({ name: 'mcpgate-nginx-session', version: '1.0.0' });
    const v1Transport = new TransportV1(new URL(`${base}/mcp`));
    let sessionLoop;
    await check('1.x client: a 2025-11-25 session through nginx, stamped with its instance', async () => {
      await v1.connect(v1Transport, opts);
      expect(/^[ab]\./.test(v1Transport.sessionId ?? ''), 'Mcp-Session-Id', 'a.… or b.…', v1Transport.sessionId);
      sessionLoop = (async () => {
        const failures = [];
        for (let i = 0; i < SESSION_CALLS; ++i) {
          try {
            const result = await v1.callTool({ name: 'session_info', arguments: {} }, undefined, opts);
            const current = JSON.parse(result.content[0].text).session_management?.current_session;
            if (current !== v1Transport.sessionId) failures.push(`call ${i}: answered for ${current}`);
          } catch (error) {
            failures.push(`call ${i}: ${describeError(error)}`);
          }
          await new Promise((r) => setTimeout(r, SESSION_CALL_PAUSE_MS));
        }
        return failures;
      })();
    });

    const spy = wireSpy();
    const v2 = new ClientV2({ name: 'mcpgate-nginx-modern', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
    const connected = await check(`v2 client pinned to ${MODERN} connects through nginx`, async () => {
      await v2.connect(new TransportV2(new URL(`${base}/mcp`), { fetch: spy.fetch }), opts);
      expectEqual(v2.getNegotiatedProtocolVersion(), MODERN, 'negotiated revision');
    });
    if (!connected) {
      skip('modern: through nginx', 'connect failed');
    } else {
      await check(`modern: ${ALTERNATING_CALLS} health_check calls in a row alternate between the instances`, async () => {
        const before = await toolCalls();
        for (let i = 0; i < ALTERNATING_CALLS; ++i) await ok(v2, 'health_check', {});
        const after = await toolCalls();
        const share = { a: after.a - before.a, b: after.b - before.b };
        console.log(`     served by a: ${share.a}, by b: ${share.b} (the session client's calls included)`);
        // Round-robin: each instance gets about half; the session's own calls go to its instance.
        expect(share.a >= ALTERNATING_CALLS / 2 - 2 && share.b >= ALTERNATING_CALLS / 2 - 2, 'calls per instance',
          `at least ${ALTERNATING_CALLS / 2 - 2} each`, share);
      });
      await check('modern: a project written through one instance is read back through the other', async () => {
        const created = await ok(v2, 'manage_project', { action: 'create', title: 'Across instances' });
        for (let i = 0; i < 4; ++i) {  // four reads in a row: at least two land on the other instance
          const found = await ok(v2, 'find_projects', { project_id: created.project_id });
          expectEqual(found.project?.title, 'Across instances', `read ${i}: project.title`);
        }
        await ok(v2, 'manage_project', { action: 'delete', project_id: created.project_id });
      });
      const before = await toolCalls();
      await tour('nginx-modern', v2, 'modern');
      const after = await toolCalls();
      await check('modern: the tour through nginx used all 16 tools, on both instances', async () => {
        const listed = (await v2.listTools(undefined, opts)).tools.map((tool) => tool.name);
        expectEqual(listed.filter((name) => !called.has(name)), [], 'tools never called');
        const share = { a: after.a - before.a, b: after.b - before.b };
        console.log(`     tour calls served by a: ${share.a}, by b: ${share.b}`);
        expect(share.a > 0 && share.b > 0, 'tour calls per instance', 'some on each', share);
      });
      await check('modern: no session through nginx (no Mcp-Session-Id either way, every request answered)', async () => {
        const bad = spy.exchanges.filter((x) => x.requestSession || x.responseSession || (x.status !== 200 && x.status !== 202));
        expectEqual(bad.map((x) => `${x.rpcMethod}: HTTP ${x.status} ${x.requestSession ?? ''}${x.responseSession ?? ''}`), [], 'bad exchanges');
      });
      await inputRequiredRetryOnOtherInstance();
      await v2.close().catch(() => {});
    }

    const sid = v1Transport.sessionId ?? '';  // the transport forgets it on terminateSession()
    await check('1.x session through the same nginx: every call served by its own instance', async () => {
      expect(sessionLoop !== undefined, 'the session', 'open', sid);
      expectEqual(await sessionLoop, [], 'failed session calls');
      await v1Transport.terminateSession();
      await v1.close();
    });

    await check('access log: session-less requests alternate between the upstreams, the session\'s stay on its own', async () => {
      const lines = readFileSync(join(prefix, 'access.log'), 'utf8').split('\n').filter(Boolean);
      const upstream = (line) => /upstream=(\S+)/.exec(line)?.[1];
      const addr = { a: `127.0.0.1:${instances.a.port}`, b: `127.0.0.1:${instances.b.port}` };
      const sessionless = lines.filter((l) => l.includes('"POST /mcp-gate/mcp ') && l.includes(' session= ')).map(upstream);
      let switches = 0;
      for (let i = 1; i < sessionless.length; ++i) if (sessionless[i] !== sessionless[i - 1]) switches += 1;
      console.log(`     ${sessionless.length} session-less POSTs: ${sessionless.filter((u) => u === addr.a).length} to a, `
        + `${sessionless.filter((u) => u === addr.b).length} to b, ${switches} switches between consecutive ones`);
      // Plain round-robin with one client at a time: nearly every request goes to the other one.
      expect(switches >= 0.8 * (sessionless.length - 1) && sessionless.length >= ALTERNATING_CALLS, 'switches between consecutive session-less POSTs',
        `at least 80% of ${sessionless.length - 1}`, switches);
      const own = addr[sid.slice(0, 1)];
      const mine = lines.filter((l) => l.includes(` session=${sid} `));
      const misrouted = mine.filter((l) => upstream(l) !== own);
      expect(mine.length >= SESSION_CALLS, `requests of session ${sid} in the log`, `>= ${SESSION_CALLS}`, mine.length);
      expectEqual(misrouted.length, 0, `requests of session ${sid} (of ${mine.length}) sent elsewhere than ${own}: ${misrouted.slice(0, 2)}`);
    });
  }
} catch (error) {
  recordFailure('harness', describeError(error));
} finally {
  if (nginx) await nginx.stop();
  for (const instance of Object.values(instances)) await instance.stop();
  rmSync(work, { recursive: true, force: true });
}
finish();
