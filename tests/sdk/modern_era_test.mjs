// Both eras on one server at the same moment, with the official TypeScript SDKs: on mcpgate's
// embedded store (after `mcpgate ingest`), the v2 SDK client (@modelcontextprotocol/client)
// pinned to 2026-07-28 takes the tour of Archon's 16 tools statelessly while a 1.x SDK client
// (@modelcontextprotocol/sdk) holds a 2025-11-25 session on the same /mcp and keeps calling.
// Both must succeed, and the modern client must have used no session: no Mcp-Session-Id on any
// of its requests or of the answers to them, no `initialize`, one session in the server's log
// and /metrics (the 1.x client's). Then a dual-era v2 client (`versionNegotiation: auto`) must
// pick the modern era by itself (a server/discover probe, no initialize).
//
//   node modern_era_test.mjs --binary PATH/TO/mcpgate
//
// The last line is machine-readable: RESULT passed=N failed=M

import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  check, describeError, expect, expectEqual, finish, options, recordFailure, skip,
} from './harness.mjs';
import { startMcpgate } from './mcpgate_process.mjs';
import { called, tour, writeDocs } from './tools_tour.mjs';
import { metric, wireSpy } from './wire.mjs';

const MODERN = '2026-07-28';
const SESSION_REVISION = '2025-11-25';
const REQUEST_TIMEOUT_MS = 15000;
const opts = { timeout: REQUEST_TIMEOUT_MS };
// The 1.x client's calls while the modern tour runs: a pause between two keeps the count
// bounded (a few hundred at most) and leaves the two cores to the server and the tour.
const SESSION_CALL_PAUSE_MS = 20;
const SESSION_CALLS_MAX = 5000;
// 1.x calls that must land while the modern tour runs: the tour takes from about 0.1 s (idle
// machine) to seconds, and a call every ~20 ms lands at least one in it however fast it goes;
// more would make the check depend on the machine's speed.
const SESSION_CALLS_OVERLAP_MIN = 1;

const binary = options('node modern_era_test.mjs --binary PATH', ['--binary'])('--binary');

const work = mkdtempSync(join(tmpdir(), 'mcpgate-modern-'));
const dataPath = join(work, 'data', 'mcpgate.db');
const docs = join(work, 'docs');

function modernClient(name, mode, spy) {
  const client = new ClientV2({ name, version: '1.0.0' }, { versionNegotiation: { mode } });
  const transport = new TransportV2(new URL(`${server.url}/mcp`), { fetch: spy.fetch });
  return { client, transport };
}

// The 1.x client's loop: three tools in turn, each answer checked, until told to stop.
function sessionLoop(client, sessionId) {
  const state = { calls: 0, failures: [], stop: false, callsDuringTour: 0, touring: false };
  state.done = (async () => {
    const tools = ['health_check', 'session_info', 'find_projects'];
    for (let i = 0; !state.stop && i < SESSION_CALLS_MAX; ++i) {
      const name = tools[i % tools.length];
      try {
        const result = await client.callTool({ name, arguments: {} }, undefined, opts);
        const payload = JSON.parse(result.content[0].text);
        if (payload.success !== true) throw new Error(`success is not true: ${result.content[0].text}`);
        if (name === 'session_info' && payload.session_management?.current_session !== sessionId)
          throw new Error(`session_info names ${payload.session_management?.current_session}, not ${sessionId}`);
        state.calls += 1;
        if (state.touring) state.callsDuringTour += 1;
      } catch (error) {
        state.failures.push(`${name}: ${describeError(error)}`);
        if (state.failures.length >= 3) return;
      }
      await new Promise((r) => setTimeout(r, SESSION_CALL_PAUSE_MS));
    }
  })();
  return state;
}

// The wire checks every modern client must pass: no session, no initialize, the modern headers.
function expectStateless(spy, what) {
  expect(spy.exchanges.length > 0, `${what}: requests seen`, 'some', spy.exchanges.length);
  const withSession = spy.exchanges.filter((x) => x.requestSession || x.responseSession);
  expectEqual(withSession.map((x) => `${x.rpcMethod}: sent ${x.requestSession} got ${x.responseSession}`), [],
    `${what}: exchanges with an Mcp-Session-Id`);
  const notPost = spy.exchanges.filter((x) => x.httpMethod !== 'POST');
  expectEqual(notPost.map((x) => `${x.httpMethod} ${x.status}`), [], `${what}: requests other than POST`);
  const methods = new Set(spy.exchanges.map((x) => x.rpcMethod));
  expect(!methods.has('initialize'), `${what}: methods sent`, 'no initialize', [...methods]);
  const wrongVersion = spy.exchanges.filter((x) => x.protocolHeader !== MODERN);
  expectEqual(wrongVersion.map((x) => `${x.rpcMethod}: ${x.protocolHeader}`), [], `${what}: MCP-Protocol-Version other than ${MODERN}`);
  const failed = spy.exchanges.filter((x) => x.status !== 200 && x.status !== 202);
  expectEqual(failed.map((x) => `${x.rpcMethod}: HTTP ${x.status}`), [], `${what}: HTTP errors`);
}

let server;
try {
  writeDocs(docs);
  const ingest = await check('mcpgate ingest indexes the docs folder', async () => {
    execFileSync(binary, ['ingest', docs, '--source', 'docs', '--data', dataPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  });
  if (!ingest) {
    skip('both eras at once', 'ingest failed');
  } else {
    server = await startMcpgate(binary, ['--data', dataPath, '--log-level', 'info']);

    // --- the 2025-11-25 session, held open during everything below -------------------------
    const v1 = new ClientV1({ name: 'mcpgate-session-client', version: '1.0.0' });
    const v1Transport = new TransportV1(new URL(`${server.url}/mcp`));
    let loop;
    const held = await check(`1.x SDK client opens a ${SESSION_REVISION} session`, async () => {
      await v1.connect(v1Transport, opts);
      expectEqual(v1Transport.protocolVersion, SESSION_REVISION, 'negotiated revision');
      expect(typeof v1Transport.sessionId === 'string' && v1Transport.sessionId.length > 0, 'Mcp-Session-Id', 'an id', v1Transport.sessionId);
      loop = sessionLoop(v1, v1Transport.sessionId);
    });

    // --- the modern client's tour, while the session client keeps calling ------------------
    const spy = wireSpy();
    const { client: v2, transport: v2Transport } = modernClient('mcpgate-modern-client', { pin: MODERN }, spy);
    let listed = [];
    const connected = await check(`v2 SDK client pinned to ${MODERN} connects (server/discover)`, async () => {
      await v2.connect(v2Transport, opts);
      expectEqual(v2.getNegotiatedProtocolVersion(), MODERN, 'negotiated revision');
      expectEqual(v2.getServerVersion()?.name, 'mcpgate', 'serverInfo.name');
      listed = (await v2.listTools(undefined, opts)).tools.map((tool) => tool.name).sort();
      expectEqual(listed.length, 16, "Archon's tools listed");
    });
    if (!connected) {
      skip('modern: the tour', 'connect failed');
    } else {
      if (loop) loop.touring = true;
      await tour('modern', v2, 'modern');
      if (loop) loop.touring = false;
      await check('modern: the tour called every listed tool (all 16)', async () => {
        expectEqual(listed.filter((name) => !called.has(name)), [], 'tools never called');
      });
      await check('modern: no session on the wire (no Mcp-Session-Id either way, no initialize, POSTs only)', async () => {
        expectStateless(spy, 'pinned v2 client');
        console.log(`     ${spy.exchanges.length} modern requests, ${new Set(spy.exchanges.map((x) => x.rpcMethod)).size} methods`);
      });
      await v2.close().catch(() => {});
    }

    await check('1.x session client succeeded on every call, during the modern tour too', async () => {
      expect(loop !== undefined, 'the session loop', 'running', held);
      expectEqual(loop.failures, [], 'failed session calls');
      console.log(`     ${loop.calls} session calls so far, ${loop.callsDuringTour} while the modern tour ran`);
      expect(loop.callsDuringTour >= SESSION_CALLS_OVERLAP_MIN, 'session calls during the tour', `>= ${SESSION_CALLS_OVERLAP_MIN}`, loop.callsDuringTour);
    });

    await check('server: one session only (the 1.x client\'s) in /metrics and in its log', async () => {
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expectEqual(metric(metrics, 'mcpgate_sessions', 'transport="streamable_http"'), 1, 'open Streamable HTTP sessions');
      expectEqual(metric(metrics, 'mcpgate_rpc_requests_total', 'method="initialize",outcome="ok"'), 1, 'initialize requests answered');
      const discovered = metric(metrics, 'mcpgate_rpc_requests_total', 'method="server/discover",outcome="ok"');
      expect(discovered >= 1, 'server/discover requests answered', '>= 1', discovered);
      const opened = server.log.join('').split('\n').filter((line) => / session \S+ opened /.test(line));
      expectEqual(opened.length, 1, `"session … opened" lines in the log (${opened.join(' | ')})`);
      expect(opened[0].includes(v1Transport.sessionId), 'the one session opened', "the 1.x client's", opened[0]);
    });

    // --- a dual-era client picks the modern era by itself -----------------------------------
    await check(`dual-era v2 client (versionNegotiation auto) picks ${MODERN}`, async () => {
      const probeSpy = wireSpy();
      const { client, transport } = modernClient('mcpgate-dual-era-client', 'auto', probeSpy);
      try {
        await client.connect(transport, opts);
        expectEqual(client.getNegotiatedProtocolVersion(), MODERN, 'negotiated revision');
        expectEqual(probeSpy.exchanges[0]?.rpcMethod, 'server/discover', 'the first request (the probe)');
        const result = await client.callTool({ name: 'health_check', arguments: {} }, undefined, opts);
        expectEqual(JSON.parse(result.content[0].text).success, true, 'health_check success');
        expectStateless(probeSpy, 'auto v2 client');
      } finally {
        await client.close().catch(() => {});
      }
    });

    // --- the session client ends its session cleanly ----------------------------------------
    await check('1.x session client: still served after the modern clients left, then closes its session', async () => {
      if (loop) { loop.stop = true; await loop.done; }
      expectEqual(loop?.failures ?? ['no loop'], [], 'failed session calls');
      const result = await v1.callTool({ name: 'session_info', arguments: {} }, undefined, opts);
      expectEqual(JSON.parse(result.content[0].text).session_management?.current_session, v1Transport.sessionId, 'session_info current_session');
      await v1Transport.terminateSession();
      await v1.close();
      const health = await (await fetch(`${server.url}/health`)).json();
      expectEqual(health.sessions?.total, 0, 'sessions open after the DELETE');
    });
  }
} catch (error) {
  recordFailure('harness', describeError(error));
} finally {
  if (server) await server.stop();
  rmSync(work, { recursive: true, force: true });
}
finish();
