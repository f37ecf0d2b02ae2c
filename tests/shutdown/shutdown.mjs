// Shutdown under load: with thousands of SSE streams open (half legacy GET /sse, half
// Streamable HTTP GET /mcp), SIGTERM must end every stream properly (the chunked body is
// terminated, not cut) and the process must exit 0 within the 2 s that service managers are
// promised (README, "Shutdown").
//
//   node shutdown.mjs --binary PATH [--streams 5000]
//
// Loopback only; every wait is bounded. Last line: RESULT passed=N failed=M

import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, expect, expectEqual, finish } from '../sdk/harness.mjs';
import { startMcpgate } from '../sdk/mcpgate_process.mjs';

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const binary = arg('--binary');
const streams = Number(arg('--streams', '5000'));
if (!binary || !(streams >= 2)) {
  console.error('usage: node shutdown.mjs --binary PATH [--streams N]');
  process.exit(2);
}

const SHUTDOWN_LIMIT_MS = 2000;
const OPEN_BATCH = 100;  // streams opened at once
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
let port;

// Every open stream: resolves 'end' (terminated body), 'aborted' or 'error' when it finishes.
const endings = [];

// GET a stream and resolve once `ready(text so far)` holds; the stream then stays open and its
// ending is recorded.
function openStream(path, headers, ready) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`GET ${path}: status ${res.statusCode}`));
        res.resume();
        return;
      }
      let text = '';
      let opened = false;
      res.setEncoding('utf8');
      endings.push(new Promise((done) => {
        res.on('end', () => done('end'));
        res.on('aborted', () => done('aborted'));
        res.on('error', () => done('error'));
        res.on('close', () => done(res.complete ? 'end' : 'aborted'));
      }));
      res.on('data', (chunk) => {
        if (opened) return;
        text += chunk;
        if (ready(text)) {
          opened = true;
          resolve();
        }
      });
    });
    req.on('error', reject);
    req.setTimeout(30000, () => req.destroy(new Error(`GET ${path}: no event within 30 s`)));
  });
}

function post(path, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'Content-Type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.setTimeout(30000, () => req.destroy(new Error(`POST ${path}: no answer within 30 s`)));
    req.end(JSON.stringify(body));
  });
}

async function openLegacy() {
  await openStream('/sse', { Accept: 'text/event-stream' }, (text) => text.includes('event: endpoint'));
}

async function openStreamable() {
  const version = '2025-06-18';
  const init = await post('/mcp', { Accept: 'application/json, text/event-stream' }, {
    jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'shutdown-test', version: '1' } },
  });
  const session = init.headers['mcp-session-id'];
  if (init.status !== 200 || !session) throw new Error(`initialize: status ${init.status}`);
  const headers = { 'Mcp-Session-Id': session, 'MCP-Protocol-Version': version };
  const ready = await post('/mcp', { Accept: 'application/json, text/event-stream', ...headers },
    { jsonrpc: '2.0', method: 'notifications/initialized' });
  if (ready.status !== 202) throw new Error(`notifications/initialized: status ${ready.status}`);
  // The GET stream sends nothing until there is something to say: its response head is the
  // sign that it is open, which the first (empty) chunk of data stands for here.
  await openStream('/mcp', { Accept: 'text/event-stream', ...headers }, () => true);
}

async function health() {
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  return res.json();
}

const scratch = mkdtempSync(join(tmpdir(), 'mcpgate-shutdown-'));
const server = await startMcpgate(binary, ['--max-connections', String(streams + 500),
  '--max-sessions', String(streams + 500), '--heartbeat', '1', '--data', join(scratch, 'store.db')]);
port = Number(new URL(server.url).port);

const opened = await check(`open ${streams} SSE streams (half legacy, half Streamable HTTP)`, async () => {
  for (let i = 0; i < streams; i += OPEN_BATCH) {
    const batch = [];
    for (let j = i; j < Math.min(streams, i + OPEN_BATCH); ++j)
      batch.push(j % 2 === 0 ? openLegacy() : openStreamable());
    await Promise.all(batch);
  }
  const counts = (await health()).sessions;
  expectEqual(counts.total, streams, '/health sessions.total');
}, 300000);

if (opened) {
  let exit;
  let took;
  await check('SIGTERM: the server exits 0 within 2 s', async () => {
    const started = Date.now();
    exit = await server.kill('SIGTERM');
    took = Date.now() - started;
    console.log(`     exited after ${took} ms with ${JSON.stringify(exit)}`);
    expectEqual(exit.code, 0, 'exit code');
    expect(took <= SHUTDOWN_LIMIT_MS, 'time from SIGTERM to exit', `<= ${SHUTDOWN_LIMIT_MS} ms`, `${took} ms`);
  }, 30000);
  await check('every stream was ended properly, none cut off', async () => {
    const results = await Promise.all(endings);
    const cut = results.filter((r) => r !== 'end').length;
    expectEqual(cut, 0, `streams not ended properly, of ${results.length}`);
  }, 30000);
}
await server.stop();
rmSync(scratch, { recursive: true, force: true });
finish();
