// End to end on the embedded store: `mcpgate ingest` indexes a small docs folder, then mcpgate
// runs with no backend URL (the embedded SQLite backend) and the official TypeScript SDK client
// uses every one of the 16 tools the way an assistant would, over Streamable HTTP and over
// legacy HTTP+SSE: search the knowledge base, then a project with tasks, documents, versions
// and features, from creation to deletion. Finally the server is killed with SIGKILL in the
// middle of a stream of task writes and restarted: every acknowledged write is there and
// `PRAGMA integrity_check` says ok.
//
//   node embedded_tools_test.mjs --binary PATH/TO/mcpgate
//
// The last line is machine-readable: RESULT passed=N failed=M

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  check, describeError, expectEqual, finish, recordFailure, skip,
} from './harness.mjs';
import { startMcpgate } from './mcpgate_process.mjs';
import { call, ok, tour, writeDocs } from './tools_tour.mjs';

const REQUEST_TIMEOUT_MS = 15000;
const opts = { timeout: REQUEST_TIMEOUT_MS };

const binaryIndex = process.argv.indexOf('--binary');
const binary = binaryIndex > 0 ? process.argv[binaryIndex + 1] : undefined;
if (!binary) {
  console.error('usage: node embedded_tools_test.mjs --binary PATH');
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'mcpgate-embedded-'));
const dataPath = join(work, 'data', 'mcpgate.db');
const docs = join(work, 'docs');

async function connect(url, kind) {
  const client = new Client({ name: `mcpgate-embedded-${kind}`, version: '1.0.0' });
  const transport = kind === 'sse'
    ? new SSEClientTransport(new URL(`${url}/sse`))
    : new StreamableHTTPClientTransport(new URL(`${url}/mcp`));
  await client.connect(transport, opts);
  return client;
}

// SIGKILL in the middle of task writes from 4 clients; every acknowledged task must survive.
async function durability() {
  let server = await startMcpgate(binary, ['--data', dataPath]);
  const acknowledged = [];
  let projectId;
  try {
    const setup = await connect(server.url, 'http');
    projectId = (await ok(setup, 'manage_project', { action: 'create', title: 'Durability' })).project_id;
    await setup.close();
    const writers = await Promise.all([0, 1, 2, 3].map(() => connect(server.url, 'http')));
    let stop = false;
    const loops = writers.map(async (client, w) => {
      for (let i = 0; !stop && i < 10000; ++i) {
        try {
          const r = await call(client, 'manage_task', { action: 'create', project_id: projectId, title: `w${w}-${i}` });
          if (r.success) acknowledged.push(r.task_id);
        } catch {
          return;  // the server is gone
        }
      }
    });
    // Let some writes land, then kill without warning while writes are in flight.
    while (acknowledged.length < 200) await new Promise((r) => setTimeout(r, 10));
    const killed = await server.kill('SIGKILL');
    stop = true;
    await Promise.all(loops);
    expectEqual(killed.signal, 'SIGKILL', 'the server died of SIGKILL');
    await server.stop();
  } catch (error) {
    await server.stop();
    throw error;
  }

  const integrity = execFileSync('sqlite3', [dataPath, 'PRAGMA integrity_check;'], { encoding: 'utf8' }).trim();
  expectEqual(integrity, 'ok', 'PRAGMA integrity_check after SIGKILL');

  server = await startMcpgate(binary, ['--data', dataPath]);
  try {
    const client = await connect(server.url, 'http');
    const found = new Set();
    for (let page = 1; page <= 100; ++page) {
      const r = await ok(client, 'find_tasks', { project_id: projectId, page, per_page: 100 });
      for (const task of r.tasks) found.add(task.id);
      if (r.tasks.length < 100) break;
    }
    const lost = acknowledged.filter((id) => !found.has(id));
    console.log(`     ${acknowledged.length} writes acknowledged before SIGKILL, ${found.size} tasks found after restart`);
    expectEqual(lost, [], 'acknowledged tasks missing after restart');
    await client.close();
  } finally {
    await server.stop();
  }
}

try {
  writeDocs(docs);
  const ingest = await check('mcpgate ingest indexes the docs folder', async () => {
    const out = execFileSync(binary, ['ingest', docs, '--source', 'docs', '--data', dataPath], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    void out;
  });
  if (!ingest) {
    skip('the embedded tool tours', 'ingest failed');
  } else {
    const server = await startMcpgate(binary, ['--data', dataPath]);
    try {
      for (const kind of ['http', 'sse']) {
        const t = kind === 'sse' ? 'legacy-sse' : 'streamable-http';
        let client;
        if (!(await check(`${t}: connect and initialize`, async () => { client = await connect(server.url, kind); }))) {
          skip(`${t}: the tour`, 'connect failed');
          continue;
        }
        await tour(t, client);
        await client.close().catch(() => {});
      }
    } finally {
      await server.stop();
    }
    await check('SIGKILL during task writes: every acknowledged write survives, integrity ok', durability, 120000);
  }
} catch (error) {
  recordFailure('harness', describeError(error));
} finally {
  rmSync(work, { recursive: true, force: true });
}
finish();
