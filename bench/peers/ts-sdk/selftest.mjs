#!/usr/bin/env node
// Self-test of the benchmark peer (server.mjs), loopback only, bounded by a 60 s overall timeout.
//
//   node selftest.mjs        (after npm ci in this folder)
//
// It starts server.mjs itself (--port 0 --port-file), checks it with the SDK's own clients over
// Streamable HTTP and legacy HTTP+SSE, reads the legacy endpoint event by hand, then starts it
// again against a fake backend (whose /api/health answers after 1 s) and fires a herd of 50
// concurrent initialize requests: all must succeed and the shared initialisation must run once.
// The last line is "selftest: N passed, M failed"; the exit status is non-zero on any failure.

import { spawn } from 'node:child_process';
import { createServer, get as httpGet } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const OVERALL_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 15_000;
const STOP_LIMIT_MS = 2_000;
const HERD_SIZE = 50;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let passed = 0;
let failed = 0;
const children = new Set();
const cleanups = [];

function check(name, ok, detail = '') {
  if (ok) {
    passed++;
    console.log(`ok   ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name}${detail ? `: ${detail}` : ''}`);
  }
  return ok;
}

function finish(code) {
  for (const child of children) child.kill('SIGKILL');
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      // best effort
    }
  }
  console.log(`selftest: ${passed} passed, ${failed} failed`);
  process.exit(code);
}

const overall = setTimeout(() => {
  console.log(`FAIL the self-test did not finish within ${OVERALL_TIMEOUT_MS / 1000} s`);
  failed++;
  finish(1);
}, OVERALL_TIMEOUT_MS);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- the server under test ---------------------------------------------------------------

async function startPeer(args = []) {
  const work = mkdtempSync(join(tmpdir(), 'ts-sdk-peer-'));
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  const portFile = join(work, 'port');
  const child = spawn(process.execPath, [join(HERE, 'server.mjs'), '--port', '0', '--port-file', portFile, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const log = [];
  child.stdout.on('data', (d) => log.push(d.toString()));
  child.stderr.on('data', (d) => log.push(d.toString()));
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    let text = '';
    try {
      text = readFileSync(portFile, 'utf8');
    } catch {
      // not written yet
    }
    if (/^\d+\n$/.test(text)) {
      return {
        url: `http://127.0.0.1:${text.trim()}`,
        log,
        // SIGTERM; resolves { code, signal, ms } once it exited (SIGKILL after 5 s).
        async stop() {
          const began = Date.now();
          if (child.exitCode !== null || child.signalCode !== null) return { ...(await exited), ms: 0 };
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          const result = await exited;
          clearTimeout(timer);
          return { ...result, ms: Date.now() - began };
        },
      };
    }
    if (child.exitCode !== null) break;
    await sleep(25);
  }
  throw new Error(`server.mjs did not start within ${START_TIMEOUT_MS} ms:\n${log.join('')}`);
}

async function health(url) {
  const response = await fetch(`${url}/health`);
  return response.json();
}

// Polls /health until pred(body) holds or ms pass; returns the last body.
async function waitForHealth(url, pred, ms = 3000) {
  const deadline = Date.now() + ms;
  let body = await health(url);
  while (!pred(body) && Date.now() < deadline) {
    await sleep(50);
    body = await health(url);
  }
  return body;
}

function toolPayload(result) {
  const text = result?.content?.[0]?.text;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const INIT_BODY = (id) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'selftest-herd', version: '1' } },
});
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

// Opens GET /sse by hand and resolves { data, close } once the endpoint event has arrived.
function openLegacyStream(url) {
  return new Promise((resolve, reject) => {
    const req = httpGet(`${url}/sse`, { headers: { accept: 'text/event-stream' } }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        buffer += chunk;
        const end = buffer.indexOf('\n\n');
        if (end !== -1) {
          resolve({ status: res.statusCode, type: res.headers['content-type'], event: buffer.slice(0, end), close: () => req.destroy() });
        }
      });
      res.on('error', () => {});
    });
    req.on('error', reject);
    setTimeout(() => reject(new Error('no endpoint event within 5 s')), 5000).unref();
  });
}

// --- part 1: both transports through the SDK's clients -----------------------------------

async function partClients() {
  console.log('# part 1: SDK clients over Streamable HTTP and legacy HTTP+SSE, no backend');
  const peer = await startPeer();
  try {
    const first = await health(peer.url);
    check('/health before any session: starting, init_runs 0',
      first.status === 'starting' && first.init_runs === 0 && first.sessions?.total === 0, JSON.stringify(first));

    const streamable = new Client({ name: 'selftest-streamable', version: '1' });
    const streamableTransport = new StreamableHTTPClientTransport(new URL(`${peer.url}/mcp`));
    await streamable.connect(streamableTransport);
    const sse = new Client({ name: 'selftest-sse', version: '1' });
    const sseTransport = new SSEClientTransport(new URL(`${peer.url}/sse`));
    await sse.connect(sseTransport);
    check('both clients connected', true);

    const expectedTools = ['find_projects', 'health_check', 'session_info'];
    for (const [label, client] of [['streamable', streamable], ['sse', sse]]) {
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name).sort();
      check(`${label}: tools/list has the 3 tools`, JSON.stringify(names) === JSON.stringify(expectedTools), names.join(','));
      const find = tools.find((t) => t.name === 'find_projects');
      check(`${label}: find_projects takes an optional string project_id`,
        find?.inputSchema?.properties?.project_id?.type === 'string' && !(find?.inputSchema?.required ?? []).includes('project_id'),
        JSON.stringify(find?.inputSchema));
    }

    const ids = {};
    for (const [label, client] of [['streamable', streamable], ['sse', sse]]) {
      const result = await client.callTool({ name: 'session_info', arguments: {} });
      const payload = toolPayload(result);
      const sm = payload?.session_management;
      check(`${label}: session_info counts one session per transport, 2 in all`,
        payload?.success === true && sm?.active_sessions === 2 &&
          sm?.sessions_by_transport?.streamable_http === 1 && sm?.sessions_by_transport?.legacy_sse === 1 &&
          sm?.session_timeout === 3600 && typeof sm?.server_uptime_seconds === 'number' &&
          !Number.isNaN(Date.parse(payload?.timestamp)),
        JSON.stringify(payload));
      check(`${label}: session_info reports the negotiated protocol version`,
        sm?.protocol_version === LATEST_PROTOCOL_VERSION, `${sm?.protocol_version}`);
      ids[label] = sm?.current_session;
    }
    check('streamable: current_session is the Mcp-Session-Id', ids.streamable === streamableTransport.sessionId,
      `${ids.streamable} vs ${streamableTransport.sessionId}`);
    check('sse: current_session is a UUID of its own', UUID_RE.test(ids.sse ?? '') && ids.sse !== ids.streamable, `${ids.sse}`);

    for (const [label, client] of [['streamable', streamable], ['sse', sse]]) {
      const payload = toolPayload(await client.callTool({ name: 'health_check', arguments: {} }));
      check(`${label}: health_check is healthy and ready, without api_service`,
        payload?.success === true && payload?.health?.status === 'healthy' &&
          payload?.health?.initialization === 'ready' && !('api_service' in payload.health) &&
          typeof payload?.uptime_seconds === 'number',
        JSON.stringify(payload));
    }
    const noBackend = await streamable.callTool({ name: 'find_projects', arguments: {} });
    check('find_projects without --backend is an error result', noBackend.isError === true &&
      toolPayload(noBackend)?.success === false, JSON.stringify(noBackend));

    const during = await health(peer.url);
    check('/health: ready, 1 + 1 sessions, init_runs 1',
      during.status === 'ready' && during.init_runs === 1 && during.sessions?.streamable_http === 1 &&
        during.sessions?.legacy_sse === 1 && during.sessions?.total === 2 && during.rss_bytes > 0,
      JSON.stringify(during));

    // Plain HTTP errors.
    const unknown = await fetch(`${peer.url}/mcp`, {
      method: 'POST', headers: { ...MCP_HEADERS, 'mcp-session-id': 'no-such-session' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    const unknownBody = await unknown.json().catch(() => null);
    check('unknown Mcp-Session-Id: 404 with a JSON-RPC error', unknown.status === 404 && unknownBody?.error?.code !== undefined,
      `${unknown.status} ${JSON.stringify(unknownBody)}`);
    const missing = await fetch(`${peer.url}/mcp`, {
      method: 'POST', headers: MCP_HEADERS, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    const missingBody = await missing.json().catch(() => null);
    check('no Mcp-Session-Id on a non-initialize request: 400', missing.status === 400 && missingBody?.error !== undefined,
      `${missing.status}`);
    const badSse = await fetch(`${peer.url}/messages?sessionId=nope`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}',
    });
    await badSse.arrayBuffer();
    check('unknown legacy sessionId: 404', badSse.status === 404, `${badSse.status}`);
    const other = await fetch(`${peer.url}/nowhere`);
    await other.arrayBuffer();
    check('any other path: 404', other.status === 404, `${other.status}`);

    // Closing: DELETE ends the Streamable HTTP session, closing the stream ends the legacy one.
    await streamableTransport.terminateSession();
    await streamable.close();
    await sse.close();
    const after = await waitForHealth(peer.url, (b) => b.sessions?.total === 0);
    check('sessions return to 0 after DELETE and closing the SSE stream', after.sessions?.total === 0, JSON.stringify(after.sessions));

    // The legacy endpoint event, read by hand.
    const stream = await openLegacyStream(peer.url);
    const match = /^event: endpoint\ndata: (\/messages\?sessionId=([0-9a-f-]+))$/.exec(stream.event);
    check('GET /sse: 200 text/event-stream whose first event is the endpoint /messages?sessionId=UUID',
      stream.status === 200 && /^text\/event-stream/.test(stream.type ?? '') && match !== null && UUID_RE.test(match[2]),
      JSON.stringify(stream.event));
    const counted = await health(peer.url);
    check('/health counts the hand-made legacy session', counted.sessions?.legacy_sse === 1 && counted.sessions?.total === 1,
      JSON.stringify(counted.sessions));
    stream.close();
    const gone = await waitForHealth(peer.url, (b) => b.sessions?.total === 0);
    check('the legacy session is gone once its stream is closed', gone.sessions?.total === 0, JSON.stringify(gone.sessions));

    // SIGTERM with a session of each kind open.
    const heldStreamable = new Client({ name: 'selftest-held', version: '1' });
    await heldStreamable.connect(new StreamableHTTPClientTransport(new URL(`${peer.url}/mcp`)));
    const heldSse = await openLegacyStream(peer.url);
    const stopped = await peer.stop();
    check(`SIGTERM with open sessions: exit 0 within ${STOP_LIMIT_MS} ms (${stopped.ms} ms)`, stopped.code === 0 && stopped.ms <= STOP_LIMIT_MS,
      `code ${stopped.code} signal ${stopped.signal} after ${stopped.ms} ms`);
    heldSse.close();
    await heldStreamable.close().catch(() => {});
    check('the log is one "listening on" line', /^listening on 127\.0\.0\.1:\d+\n$/.test(peer.log.join('')), JSON.stringify(peer.log.join('')));
  } finally {
    await peer.stop();
  }
}

// --- part 2: a herd of first clients against a slow backend ------------------------------

async function startFakeBackend() {
  const hits = { health: 0, projects: 0 };
  const server = createServer((req, res) => {
    const send = (status, body) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.url === '/api/health') {
      hits.health++;
      setTimeout(() => send(200, { status: 'healthy' }), 1000);
    } else if (req.url === '/api/projects/x') {
      hits.projects++;
      send(200, { id: 'x', title: 't' });
    } else if (req.url === '/api/projects') {
      hits.projects++;
      send(200, { projects: [{ id: 'x', title: 't' }, { id: 'y', title: 'u' }] });
    } else {
      send(404, { error: 'not found' });
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => server.closeAllConnections());
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    hits,
    close: () => new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    }),
  };
}

async function partHerd() {
  console.log(`# part 2: ${HERD_SIZE} concurrent first initializes against a backend whose /api/health takes 1 s`);
  const backend = await startFakeBackend();
  const peer = await startPeer(['--backend', backend.url]);
  try {
    const began = Date.now();
    const answers = await Promise.all(Array.from({ length: HERD_SIZE }, async (_, i) => {
      try {
        const response = await fetch(`${peer.url}/mcp`, {
          method: 'POST', headers: MCP_HEADERS, body: JSON.stringify(INIT_BODY(i + 1)),
        });
        const text = await response.text();
        return { status: response.status, session: response.headers.get('mcp-session-id'), text };
      } catch (error) {
        return { status: 0, session: null, text: String(error) };
      }
    }));
    const took = Date.now() - began;
    const good = answers.filter((a) => a.status === 200 && UUID_RE.test(a.session ?? '') && a.text.includes('"protocolVersion"'));
    check(`${HERD_SIZE} concurrent initializes all succeed (${took} ms)`, good.length === HERD_SIZE,
      `${good.length} good; first bad: ${JSON.stringify(answers.find((a) => !good.includes(a)))}`);
    check('each initialize got its own session', new Set(good.map((a) => a.session)).size === good.length);
    check('the herd waited for the 1 s backend probe', took >= 900, `${took} ms`);
    const after = await health(peer.url);
    check('/health: init_runs == 1, ready, 50 Streamable HTTP sessions',
      after.init_runs === 1 && after.status === 'ready' && after.sessions?.streamable_http === HERD_SIZE,
      JSON.stringify(after));
    check('the backend health probe ran once for the whole herd', backend.hits.health === 1, `${backend.hits.health}`);

    const client = new Client({ name: 'selftest-backend', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${peer.url}/mcp`)));
    const one = await client.callTool({ name: 'find_projects', arguments: { project_id: 'x' } });
    const oneText = one?.content?.[0]?.text ?? '';
    check('find_projects {project_id: "x"} returns the project', oneText.includes('"title":"t"') && !one.isError &&
      toolPayload(one)?.project?.id === 'x', oneText);
    const all = toolPayload(await client.callTool({ name: 'find_projects', arguments: {} }));
    check('find_projects without an id lists the projects', all?.success === true && all?.count === 2 && all?.projects?.length === 2,
      JSON.stringify(all));
    const missing = await client.callTool({ name: 'find_projects', arguments: { project_id: 'nope' } });
    check('find_projects on a 404 is an http_error result', missing.isError === true &&
      toolPayload(missing)?.error?.type === 'http_error', JSON.stringify(missing));
    const healthPayload = toolPayload(await client.callTool({ name: 'health_check', arguments: {} }));
    check('health_check probes the backend live: api_service true', healthPayload?.health?.api_service === true,
      JSON.stringify(healthPayload));
    await client.close();

    const stopped = await peer.stop();
    check(`SIGTERM with ${HERD_SIZE + 1} sessions: exit 0 within ${STOP_LIMIT_MS} ms (${stopped.ms} ms)`, stopped.code === 0 && stopped.ms <= STOP_LIMIT_MS,
      `code ${stopped.code} signal ${stopped.signal} after ${stopped.ms} ms`);

    // The backend gone: find_projects reports a connection error, the server keeps serving.
    await backend.close();
    const orphan = await startPeer(['--backend', backend.url]);
    try {
      const lone = new Client({ name: 'selftest-nobackend', version: '1' });
      await lone.connect(new StreamableHTTPClientTransport(new URL(`${orphan.url}/mcp`)));
      const down = await lone.callTool({ name: 'find_projects', arguments: { project_id: 'x' } });
      check('backend down: find_projects is a connection_error result', down.isError === true &&
        toolPayload(down)?.error?.type === 'connection_error', JSON.stringify(down));
      const downHealth = toolPayload(await lone.callTool({ name: 'health_check', arguments: {} }));
      check('backend down: health_check says api_service false', downHealth?.health?.api_service === false,
        JSON.stringify(downHealth));
      await lone.close();
    } finally {
      await orphan.stop();
    }
  } finally {
    await peer.stop();
    await backend.close();
  }
}

// --- part 3: --json-response ---------------------------------------------------------------

async function partJson() {
  console.log('# part 3: --json-response');
  const peer = await startPeer(['--json-response']);
  try {
    const response = await fetch(`${peer.url}/mcp`, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify(INIT_BODY(1)) });
    const body = await response.json().catch(() => null);
    check('initialize is answered with application/json', response.status === 200 &&
      /^application\/json/.test(response.headers.get('content-type') ?? '') && body?.result?.protocolVersion === '2025-06-18',
      `${response.status} ${response.headers.get('content-type')}`);
    const client = new Client({ name: 'selftest-json', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${peer.url}/mcp`)));
    const payload = toolPayload(await client.callTool({ name: 'session_info', arguments: {} }));
    check('the SDK client works against --json-response', payload?.session_management?.sessions_by_transport?.streamable_http === 2,
      JSON.stringify(payload));
    await client.close();
  } finally {
    await peer.stop();
  }
}

try {
  await partClients();
  await partHerd();
  await partJson();
} catch (error) {
  check('the self-test ran to the end', false, error?.stack ?? String(error));
}
clearTimeout(overall);
finish(failed === 0 ? 0 : 1);
