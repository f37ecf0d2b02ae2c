// Three mcpgate instances on one store behind a real nginx running the shipped
// scripts/nginx/mcpgate-hosts.conf: round-robin with no session affinity at all. Twenty clients
// of the 1.x TypeScript SDK over Streamable HTTP keep creating tasks (and reading one back now
// and then) while one instance is killed with SIGKILL. Every request of a session may land on
// any instance: each finds the session's record in the shared store.
//
// Checks: before the kill, every call succeeds and all three instances serve them; after it,
// each client's calls fail for no longer than one call (the one its request was in when the
// instance died) and its last calls all succeed, served by the two others; every task whose
// creation was acknowledged is there at the end (read through nginx); nothing was refused
// with 404 (no session lost).
//
//   node failover_test.mjs --binary PATH/TO/mcpgate [--nginx PATH] [--data STORE]
//
// --data names the store all instances share (default: a SQLite file in a temporary folder;
// any --data value mcpgate takes). The last line is: RESULT passed=N failed=M

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  check, describeError, expect, expectEqual, finish, options, recordFailure,
} from './harness.mjs';
import { startMcpgate } from './mcpgate_process.mjs';
import { startNginx } from './nginx_process.mjs';

const CLIENTS = 20;
const CALLS_BEFORE_KILL = 300;      // calls made by all clients together before the kill
const CALLS_AFTER_KILL = 12;        // each client's calls after the kill
const READ_EVERY = 4;               // every 4th call reads a task back instead of creating one
const PHASE_LIMIT_MS = 90000;       // bound on each phase, whatever the machine's speed
const REQUEST_TIMEOUT_MS = 15000;
const opts = { timeout: REQUEST_TIMEOUT_MS };

const here = dirname(fileURLToPath(import.meta.url));
const hostsConf = join(here, '..', '..', 'scripts', 'nginx', 'mcpgate-hosts.conf');
const argValue = options('node failover_test.mjs --binary PATH [--nginx PATH] [--data STORE]', ['--binary']);
const binary = argValue('--binary');
const nginxBin = argValue('--nginx') ?? '/usr/sbin/nginx';
const work = mkdtempSync(join(tmpdir(), 'mcpgate-failover-'));
const store = argValue('--data') ?? join(work, 'mcpgate.db');
const names = ['a', 'b', 'c'];
const instances = {};
const victim = 'b';
let proxy;
const clients = [];

// One client's calls: each records when it started (relative to the kill) and how it ended.
function makeRunner(index, client, projectId) {
  const runner = { index, client, calls: [], acknowledged: [], killSeen: false };
  runner.step = async () => {
    const n = runner.calls.length;
    totalCalls += 1;
    const afterKill = killed;
    const read = n % READ_EVERY === READ_EVERY - 1 && runner.acknowledged.length > 0;
    try {
      const result = read
        ? await client.callTool({ name: 'find_tasks', arguments: { task_id: runner.acknowledged.at(-1).id } }, undefined, opts)
        : await client.callTool({ name: 'manage_task', arguments: { action: 'create', project_id: projectId, title: `client ${index} task ${n}` } }, undefined, opts);
      const body = JSON.parse(result.content?.[0]?.text ?? 'null');
      if (result.isError || !body?.success) throw new Error(`tool error: ${result.content?.[0]?.text?.slice(0, 200)}`);
      if (!read) runner.acknowledged.push({ id: body.task_id, title: `client ${index} task ${n}` });
      runner.calls.push({ afterKill, ok: true });
    } catch (error) {
      runner.calls.push({ afterKill, ok: false, error: String(error?.message ?? error).slice(0, 200) });
    }
  };
  return runner;
}

let killed = false;
let totalCalls = 0;
async function runUntil(runners, done) {
  const deadline = Date.now() + PHASE_LIMIT_MS;
  await Promise.all(runners.map(async (r) => {
    while (!done(r) && Date.now() < deadline) await r.step();
  }));
}

async function served() {
  const out = {};
  for (const name of names) {
    if (name === victim && killed) continue;
    const text = await (await fetch(`${instances[name].url}/metrics`)).text();
    const m = text.match(/^mcpgate_rpc_requests_total\{method="tools\/call",outcome="ok"\} (\d+)/m);
    out[name] = m ? Number(m[1]) : 0;
  }
  return out;
}

try {
  await check('three instances on one store behind nginx (scripts/nginx/mcpgate-hosts.conf)', async () => {
    for (const name of names) {
      instances[name] = await startMcpgate(binary, ['--data', store, '--instance-id', name,
        '--state-key-file', join(work, 'state.key')]);
    }
    const port = (name) => new URL(instances[name].url).port;
    proxy = await startNginx({
      nginx: nginxBin, conf: hostsConf, dir: join(work, 'nginx'),
      edits: [['10.0.0.11:8051', `127.0.0.1:${port('a')}`], ['10.0.0.12:8051', `127.0.0.1:${port('b')}`],
        ['10.0.0.13:8051', `127.0.0.1:${port('c')}`]],
    });
  }, 60000);

  let runners = [];
  let projectId;
  await check(`${CLIENTS} SDK clients connect through nginx and share a project`, async () => {
    for (let i = 0; i < CLIENTS; ++i) {
      const client = new Client({ name: `failover-${i}`, version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${proxy.base}/mcp`)), opts);
      clients.push(client);
    }
    const created = await clients[0].callTool({ name: 'manage_project', arguments: { action: 'create', title: 'failover' } }, undefined, opts);
    projectId = JSON.parse(created.content[0].text).project_id;
    expect(typeof projectId === 'string', 'the project id', 'a string', created);
    runners = clients.map((client, i) => makeRunner(i, client, projectId));
  }, 60000);

  const before = await served().catch(() => ({}));
  await check(`${CALLS_BEFORE_KILL} calls before the kill all succeed, on all three instances`, async () => {
    await runUntil(runners, () => totalCalls >= CALLS_BEFORE_KILL);
    const total = totalCalls;
    const failures = runners.flatMap((r) => r.calls.filter((c) => !c.ok));
    expectEqual(failures.length, 0, `failed calls of ${total}: ${failures.slice(0, 3).map((c) => c.error).join(' | ')}`);
    const after = await served();
    const share = names.map((n) => after[n] - (before[n] ?? 0));
    console.log(`     calls served: ${names.map((n, i) => `${n} ${share[i]}`).join(', ')}`);
    expect(share.every((s) => s > 0), 'each instance\'s share of the calls', 'more than 0', share);
  }, PHASE_LIMIT_MS + 20000);

  let atKill = {};
  await check(`instance ${victim} killed with SIGKILL while the clients keep calling`, async () => {
    const running = runUntil(runners, (r) => r.killSeen);
    await new Promise((r) => setTimeout(r, 200));
    const exit = await instances[victim].kill('SIGKILL');
    killed = true;
    expectEqual(exit.signal, 'SIGKILL', 'the instance died of SIGKILL');
    for (const r of runners) r.killSeen = true;
    await running;
    atKill = await served();
  }, PHASE_LIMIT_MS + 20000);

  await check(`after the kill each client fails at most one call, then its next ${CALLS_AFTER_KILL} succeed on the two others`, async () => {
    const start = runners.map((r) => r.calls.length);
    await runUntil(runners, (r) => r.calls.length - start[r.index] >= CALLS_AFTER_KILL);
    const problems = [];
    let failedAfter = 0;
    for (const r of runners) {
      const after = r.calls.filter((c) => c.afterKill);
      const failed = after.filter((c) => !c.ok);
      failedAfter += failed.length;
      const tail = r.calls.slice(-CALLS_AFTER_KILL + 1);
      if (failed.length > 1 || tail.some((c) => !c.ok)) problems.push({ client: r.index, failed: failed.map((c) => c.error) });
    }
    const now = await served();
    console.log(`     calls after the kill failed: ${failedAfter}; served since: ${['a', 'c'].map((n) => `${n} ${now[n] - atKill[n]}`).join(', ')}`);
    expectEqual(problems, [], 'clients whose calls kept failing after the kill');
    expect(now.a > atKill.a && now.c > atKill.c, 'calls served by the surviving instances', 'some on each', { atKill, now });
    expect(!runners.some((r) => r.calls.some((c) => /404|not found/i.test(c.error ?? ''))), 'a 404 (a session lost)', 'none',
      runners.flatMap((r) => r.calls.filter((c) => c.error)).slice(0, 3));
  }, PHASE_LIMIT_MS + 20000);

  await check('every acknowledged task creation is in the store, read through nginx', async () => {
    const acknowledged = runners.flatMap((r) => r.acknowledged);
    const projectTasks = await clients[0].callTool({ name: 'find_tasks', arguments: { filter_by: 'project', filter_value: projectId } }, undefined, opts);
    const body = JSON.parse(projectTasks.content[0].text);
    const stored = new Set((body.tasks ?? []).map((t) => t.id));
    const missing = acknowledged.filter((t) => !stored.has(t.id));
    console.log(`     ${acknowledged.length} acknowledged, ${stored.size} in the project`);
    expectEqual(missing.length, 0, `acknowledged tasks missing (first: ${missing.slice(0, 3).map((t) => t.title).join(', ')})`);
  }, 60000);
} catch (error) {
  recordFailure('failover test', describeError(error));
} finally {
  for (const client of clients) await client.close().catch(() => {});
  if (proxy) await proxy.stop();
  for (const instance of Object.values(instances)) await instance.stop();
  rmSync(work, { recursive: true, force: true });
}
finish();
