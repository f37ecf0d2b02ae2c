// Soak: many short MCP sessions against one mcpgate process, over both transports, with some
// clients vanishing mid-stream without closing anything. Afterwards the server must hold no
// session, its thread count must be back at the idle floor and its memory must be flat.
//
//   node soak.mjs --binary PATH [--cycles 10000] [--concurrency 16]
//
// A cycle is connect → initialize → tools/call → disconnect, alternating Streamable HTTP and
// legacy HTTP+SSE; every 10th cycle instead drops its sockets in the middle of an open stream.
// Measured from /proc/<pid>/status of the server: RSS after the first 10% of the cycles and at
// the end (must be within 5%, with a 2 MiB allowance for allocator noise on small heaps),
// threads at idle before and after, and /health's session count once the idle TTL has passed.
// Only loopback traffic; every wait is bounded. Last line: RESULT passed=N failed=M

import { readFileSync } from 'node:fs';
import http from 'node:http';
import { check, expect, finish, recordFailure, describeError } from '../sdk/harness.mjs';
import { startMcpgate } from '../sdk/mcpgate_process.mjs';

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const binary = arg('--binary');
const cycles = Number(arg('--cycles', '10000'));
const concurrency = Number(arg('--concurrency', '16'));
if (!binary || !(cycles > 0) || !(concurrency > 0)) {
  console.error('usage: node soak.mjs --binary PATH [--cycles N] [--concurrency C]');
  process.exit(2);
}

const STEP_TIMEOUT_MS = 10000;
const SESSION_TTL_S = 2;
const THREAD_IDLE_S = 2;
// Threads the server keeps once it has served anything: 4 idle connection threads and 2 idle
// request threads (server/http_server.cpp, server/app.cpp), on top of those it starts with.
const POOL_FLOORS = 6;
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
let port;

function procStatus(pid) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1]);
  return { rssKiB: field('VmRSS'), threads: field('Threads') };
}

// One HTTP exchange; resolves {status, headers, body}. SSE bodies are read until the JSON-RPC
// response with `wantId` arrives (then the socket is dropped) or the stream ends.
function request(method, path, { headers = {}, body, wantId } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers, timeout: STEP_TIMEOUT_MS }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
        if (wantId !== undefined && text.includes(`"id":${wantId}`) && text.includes('\n\n')) {
          resolve({ status: res.statusCode, headers: res.headers, body: text });
          req.destroy();
        }
      });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
      res.on('error', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${STEP_TIMEOUT_MS} ms`)));
    req.on('error', (e) => { if (!req.destroyed || e.message.includes('no answer')) reject(e); });
    if (body !== undefined) req.end(body); else req.end();
  });
}

const initialize = (id) => JSON.stringify({
  jsonrpc: '2.0', id, method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'soak', version: '1' } },
});
const initialized = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
const call = (id) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'session_info', arguments: {} } });
const mcpHeaders = (session) => ({
  'content-type': 'application/json', accept: 'application/json, text/event-stream',
  ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' } : {}),
});

async function streamableCycle(vanish) {
  const init = await request('POST', '/mcp', { headers: mcpHeaders(), body: initialize(1), wantId: 1 });
  const session = init.headers['mcp-session-id'];
  if (init.status !== 200 || !session) throw new Error(`initialize: HTTP ${init.status}`);
  await request('POST', '/mcp', { headers: mcpHeaders(session), body: initialized });
  const result = await request('POST', '/mcp', { headers: mcpHeaders(session), body: call(2), wantId: 2 });
  if (result.status !== 200 || !result.body.includes('"result"')) throw new Error(`tools/call: HTTP ${result.status}`);
  if (vanish) {
    // Open the standalone GET stream and drop the socket without a word; no DELETE.
    await new Promise((resolve) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'GET', path: '/mcp', agent, headers: { accept: 'text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' } }, (res) => {
        res.once('data', () => { req.destroy(); resolve(); });
        setTimeout(() => { req.destroy(); resolve(); }, 50);
      });
      req.on('error', () => resolve());
      req.end();
    });
    return;
  }
  const closed = await request('DELETE', '/mcp', { headers: mcpHeaders(session) });
  if (closed.status !== 200 && closed.status !== 204) throw new Error(`DELETE: HTTP ${closed.status}`);
}

// Legacy: GET /sse, endpoint event, POSTs answered on the stream; ends by dropping the stream.
function legacyCycle(vanish) {
  return new Promise((resolve, reject) => {
    let text = '';
    let endpoint;
    let stage = 0;
    const timer = setTimeout(() => { req.destroy(); reject(new Error('legacy cycle: no progress within 10 s')); }, STEP_TIMEOUT_MS);
    const finishCycle = (error) => { clearTimeout(timer); req.destroy(); if (error) reject(error); else resolve(); };
    const post = (body) => request('POST', endpoint, { headers: { 'content-type': 'application/json' }, body })
      .then((r) => { if (r.status !== 202) finishCycle(new Error(`legacy POST: HTTP ${r.status}`)); }, finishCycle);
    const req = http.request({ host: '127.0.0.1', port, method: 'GET', path: '/sse', agent, headers: { accept: 'text/event-stream' } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
        if (stage === 0) {
          const m = /event: endpoint\ndata: ([^\n]+)\n\n/.exec(text);
          if (!m) return;
          endpoint = new URL(m[1], `http://127.0.0.1:${port}/sse`).pathname + new URL(m[1], `http://127.0.0.1:${port}/sse`).search;
          stage = 1;
          if (vanish) { finishCycle(); return; }  // gone right after the endpoint event
          post(initialize(1));
        } else if (stage === 1 && text.includes('"id":1')) {
          stage = 2;
          post(initialized).then(() => post(call(2)));
        } else if (stage === 2 && text.includes('"id":2')) {
          finishCycle(text.includes('"result"') ? undefined : new Error('legacy tools/call: no result'));
        }
      });
    });
    req.on('error', (e) => { if (stage < 3) finishCycle(e); });
    req.end();
  });
}

async function runCycles(from, to, errors) {
  let next = from;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= to) return;
      const vanish = i % 10 === 9;
      try {
        if (i % 2 === 0) await streamableCycle(vanish); else await legacyCycle(vanish);
      } catch (error) {
        errors.push(`cycle ${i}: ${error.message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function health() {
  const r = await request('GET', '/health');
  return JSON.parse(r.body);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let server;
try {
  server = await startMcpgate(binary, ['--session-ttl', String(SESSION_TTL_S), '--heartbeat', '1',
    '--thread-idle-timeout', String(THREAD_IDLE_S)]);
  port = Number(new URL(server.url).port);
  await sleep(500);
  const idle = procStatus(server.pid);
  const errors = [];
  const warm = Math.max(1, Math.floor(cycles / 10));
  const started = Date.now();
  await runCycles(0, warm, errors);
  const afterWarm = procStatus(server.pid);
  await runCycles(warm, cycles, errors);
  const seconds = (Date.now() - started) / 1000;
  // Streamable sessions that vanished end at their idle TTL; dropped streams within a heartbeat.
  let sessions = -1;
  for (let i = 0; i < 40; ++i) {
    await sleep(500);
    const h = await health();
    sessions = h.sessions?.total ?? (h.sessions?.streamable_http ?? 0) + (h.sessions?.legacy_sse ?? 0);
    if (sessions === 0 && i >= 2 * SESSION_TTL_S) break;
  }
  // Idle threads are kept for --thread-idle-timeout and then retire down to the pools' floors.
  let end = procStatus(server.pid);
  for (let i = 0; i < 20 && end.threads > idle.threads + POOL_FLOORS; ++i) {
    await sleep(1000);
    end = procStatus(server.pid);
  }
  console.log(`soak: ${cycles} cycles (concurrency ${concurrency}) in ${seconds.toFixed(1)} s, ${(cycles / seconds).toFixed(0)} cycles/s`);
  console.log(`soak: RSS idle ${idle.rssKiB} KiB, after ${warm} cycles ${afterWarm.rssKiB} KiB, at the end ${end.rssKiB} KiB`);
  console.log(`soak: threads idle ${idle.threads}, at the end ${end.threads}; sessions at the end ${sessions}`);

  await check(`all ${cycles} cycles completed without an error`, () => {
    expect(errors.length === 0, 'errors', 'none', errors.slice(0, 5).concat(errors.length > 5 ? [`... ${errors.length} in all`] : []));
  });
  await check('no session left once the idle TTL passed', () => expect(sessions === 0, 'sessions', 0, sessions));
  await check('threads back to the idle floor', () => expect(end.threads <= idle.threads + POOL_FLOORS, 'threads', `<= ${idle.threads + POOL_FLOORS}`, end.threads));
  await check('RSS flat: within 5% (+2 MiB) of the level after the first 10% of the cycles', () => {
    const limit = afterWarm.rssKiB * 1.05 + 2048;
    expect(end.rssKiB <= limit, 'RSS KiB', `<= ${Math.round(limit)}`, end.rssKiB);
  });
  await check('the server is still up and healthy', async () => {
    const h = await health();
    expect(h.status === 'ready' || h.status === 'idle', '/health status', 'ready', h);
  });
} catch (error) {
  recordFailure('harness', describeError(error));
  if (server) console.log(server.log.join('').slice(-3000));
} finally {
  if (server) await server.stop();
}
finish();
