// Clients of the 1.x TypeScript SDK across a server restart: mcpgate is killed with SIGKILL and
// started again on the same port (and the same --data store), and each client's next call must
// succeed without the application doing anything, no reconnect or initialize of its own.
//
//   - Streamable HTTP: the SDK keeps its Mcp-Session-Id and never initializes again by itself
//     (a 404 would fail every call); the session's record in the store (--data) lets the new
//     server carry the session on.
//   - legacy HTTP+SSE: the SDK's EventSource reconnects GET /sse by itself, takes the new
//     session's endpoint and never initializes it; mcpgate serves such a session as an
//     implicitly initialized 2024-11-05 one.
//
//   node restart_test.mjs --binary PATH/TO/mcpgate [--data STORE]
//
// --data names the store (default: a SQLite file in a temporary folder; any --data value mcpgate
// takes, e.g. a fresh PostgreSQL database). The last line is: RESULT passed=N failed=M

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  check, CheckFailed, describeError, expect, expectEqual, finish, options, recordFailure,
} from './harness.mjs';
import { startMcpgate } from './mcpgate_process.mjs';

const REQUEST_TIMEOUT_MS = 15000;
const opts = { timeout: REQUEST_TIMEOUT_MS };
// The SDK's EventSource retries every 3 s; a few of them, for a loaded machine.
const RECONNECT_WAIT_MS = 20000;

const argValue = options('node restart_test.mjs --binary PATH [--data STORE]', ['--binary']);
const binary = argValue('--binary');

const work = mkdtempSync(join(tmpdir(), 'mcpgate-restart-'));
const store = argValue('--data') ?? join(work, 'mcpgate.db');
const args = ['--data', store, '--conformance-fixtures'];

async function sessionInfo(client) {
  const result = await client.callTool({ name: 'session_info', arguments: {} }, undefined, opts);
  expect(!result.isError, 'session_info', 'a result', result);
  return JSON.parse(result.content[0].text).session_management;
}

async function until(condition, ms, what) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new CheckFailed(`${what}: expected within ${ms} ms, got nothing`);
}

let server;
try {
  server = await startMcpgate(binary, args);
  const port = Number(new URL(server.url).port);
  const httpTransport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`));
  const http = new Client({ name: 'mcpgate-restart-http', version: '1.0.0' });
  let httpBefore;
  const httpConnected = await check('streamable-http: connect, initialize and call', async () => {
    await http.connect(httpTransport, opts);
    httpBefore = await sessionInfo(http);
    expectEqual(httpTransport.sessionId, httpBefore.current_session, 'the SDK\'s session id');
  });
  const sseTransport = new SSEClientTransport(new URL(`${server.url}/sse`));
  const sse = new Client({ name: 'mcpgate-restart-sse', version: '1.0.0' });
  let before;
  const connected = await check('legacy-sse: connect, initialize and call', async () => {
    await sse.connect(sseTransport, opts);
    before = await sessionInfo(sse);
  });

  await check('SIGKILL, then a new server on the same port and --data store', async () => {
    const killed = await server.kill('SIGKILL');
    expectEqual(killed.signal, 'SIGKILL', 'the server died of SIGKILL');
    await server.stop();
    server = await startMcpgate(binary, args, { port });
  });

  if (httpConnected) {
    await check('streamable-http: the next call succeeds in the same session', async () => {
      const after = await sessionInfo(http);
      expectEqual(after.current_session, httpBefore.current_session, 'the session');
      expectEqual(after.protocol_version, httpBefore.protocol_version, 'the negotiated revision');
      expectEqual(httpTransport.sessionId, httpBefore.current_session, 'the SDK\'s session id');
      const tools = await http.listTools(undefined, opts);
      expect(tools.tools.length > 0, 'tools/list', 'tools', tools);
    });
  }
  if (connected) {
    await check('legacy-sse: after the SDK reconnects GET /sse by itself, the next call succeeds', async () => {
      // The SDK switches to the endpoint of the new stream's session quietly.
      await until(() => sseTransport._endpoint && !sseTransport._endpoint.href.includes(before.current_session),
        RECONNECT_WAIT_MS, 'the SDK reconnected GET /sse');
      const after = await sessionInfo(sse);
      expect(after.current_session !== before.current_session, 'the session', 'a new one', after);
      expectEqual(after.protocol_version, '2024-11-05', 'the implicit session\'s revision');
    }, RECONNECT_WAIT_MS + REQUEST_TIMEOUT_MS);
  }
  await sse.close().catch(() => {});
  await http.close().catch(() => {});
} catch (error) {
  recordFailure('harness', describeError(error));
} finally {
  if (server) await server.stop();
  rmSync(work, { recursive: true, force: true });
}
finish();
