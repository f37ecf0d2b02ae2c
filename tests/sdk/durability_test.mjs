// Every acknowledged write survives `kill -9` of a mcpgate instance, on any store (the point is
// PostgreSQL; embedded_tools_test.mjs covers a SQLite file the same way): two instances, A and B,
// on one store; clients write as fast as they can through both; A is killed with SIGKILL in the
// middle of the writes, while its pooled connections are inside transactions.
//
//   - On PostgreSQL, first A is frozen (SIGSTOP: a paused VM, a host or network gone without
//     closing its connections) until it is caught holding a row lock that a write through B
//     waits for: that write completes once the server ends A's idle transaction
//     (--store-idle-transaction-timeout 1), and A carries on when it is continued. (A SQLite file
//     lives on one host, where a frozen writer holds the file's write lock: not checked.)
//   - B keeps serving writes right after the kill, on the very rows A's transactions were
//     writing (every document lands in one project's docs, a read-modify-write of one row): a
//     dead instance leaves no lock behind.
//   - A restarted on the same store finds every write acknowledged before the kill: tasks,
//     documents (no lost update among concurrent read-modify-writes), versions; and no write
//     half done: a version restore saves the replaced value as a version row and sets the field,
//     in one transaction, so the newest "Before restoring version N" row and the field's value
//     must agree with version N.
//
//   node durability_test.mjs --binary PATH/TO/mcpgate [--data STORE]
//
// --data names the store (default: a SQLite file in a temporary folder; any --data value mcpgate
// takes, e.g. a fresh PostgreSQL database). The last line is: RESULT passed=N failed=M

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  check, CheckFailed, describeError, expect, expectEqual, finish, options, recordFailure,
} from './harness.mjs';
import { startMcpgate } from './mcpgate_process.mjs';
import { call, ok } from './tools_tour.mjs';

const REQUEST_TIMEOUT_MS = 15000;
const opts = { timeout: REQUEST_TIMEOUT_MS };
const WRITERS_ON_A = 6;
const KILL_AFTER_WRITES = 200;     // acknowledged writes before A is killed
const WRITES_WAIT_MS = 60000;      // for those writes to land
const WRITES_AFTER_KILL = 20;      // steps B must complete after the kill
// Both instances' --store-idle-transaction-timeout. A's connections queued behind the frozen
// lock holder each take the row in turn and are each ended after it, so B's write may wait a
// few of these: six writers at 1 s stay inside the SDK's 15 s request timeout.
const IDLE_TRANSACTION_TIMEOUT_S = 1;
const FREEZE_TRIES = 200;          // SIGSTOPs of A until one catches it holding the shared row
const PROBE_MS = 500;              // a write through B slower than this waits for A's lock
const MAX_ITERATIONS = 10000;      // per writer, whatever happens
const PER_PAGE = 100;
const MAX_PAGES = 200;

const argValue = options('node durability_test.mjs --binary PATH [--data STORE]', ['--binary']);
const binary = argValue('--binary');
const work = mkdtempSync(join(tmpdir(), 'mcpgate-durability-'));
const store = argValue('--data') ?? join(work, 'mcpgate.db');
const postgresql = /^postgres(ql)?:\/\//.test(store);
const args = ['--data', store, '--store-idle-transaction-timeout', String(IDLE_TRANSACTION_TIMEOUT_S)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function connect(url, name) {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)), opts);
  return client;
}

// Every item of a paged list tool (find_tasks, find_documents, find_versions).
async function all(client, tool, toolArgs, key) {
  const items = [];
  for (let page = 1; page <= MAX_PAGES; ++page) {
    const r = await ok(client, tool, { ...toolArgs, page, per_page: PER_PAGE });
    items.push(...r[key]);
    if (r[key].length < PER_PAGE) return items;
  }
  throw new CheckFailed(`${tool}: more than ${MAX_PAGES} pages`);
}

// One writer: its own project for tasks and versions of `data`, documents into the shared one.
// Each step: a task, a document, a version of data, a restore of that version. Records what was
// acknowledged; a refusal (a write whose COMMIT met a lost connection, say) is counted and the
// step moves on; it stops at the first transport failure (the server is gone) or when told to.
function writer(client, name, projectId, sharedId, acked, control) {
  const mine = { projectId, tasks: [], versions: [], restores: 0, refused: [], failure: undefined };
  const accepted = (what, result) => {
    if (result.success === true) return true;
    mine.refused.push(`${what}: ${JSON.stringify(result).slice(0, 200)}`);
    return false;
  };
  acked.writers.push(mine);
  const run = (async () => {
    for (let i = 0; !control.stop && i < MAX_ITERATIONS; ++i) {
      try {
        const task = await call(client, 'manage_task', { action: 'create', project_id: projectId, title: `${name}-${i}` });
        if (accepted('manage_task create', task)) {
          mine.tasks.push(task.task_id);
          acked.count += 1;
        }
        const doc = await call(client, 'manage_document', {
          action: 'create', project_id: sharedId, title: `${name}-${i}`, document_type: 'note', content: { i },
        });
        if (accepted('manage_document create', doc)) {
          acked.documents.push(doc.document_id);
          acked.count += 1;
        }
        const version = await call(client, 'manage_version', {
          action: 'create', project_id: projectId, field_name: 'data', content: { writer: name, step: i },
        });
        if (!accepted('manage_version create', version)) continue;
        const number = version.version?.version_number;
        mine.versions.push(number);
        acked.count += 1;
        const restored = await call(client, 'manage_version', {
          action: 'restore', project_id: projectId, field_name: 'data', version_number: number,
        });
        if (accepted('manage_version restore', restored)) {
          mine.restores += 1;
          acked.count += 1;
        }
        control.afterKill(name);
      } catch (error) {
        mine.failure = describeError(error);
        return;
      }
    }
  })();
  return run;
}

async function until(condition, ms, what) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new CheckFailed(`${what}: expected within ${ms} ms, got nothing`);
}

// Everything acknowledged is in the store, read through `client`.
async function verify(client, acked, sharedId) {
  const documents = new Set((await all(client, 'find_documents', { project_id: sharedId }, 'documents')).map((d) => d.id));
  const lostDocuments = acked.documents.filter((id) => !documents.has(id));
  console.log(`     ${acked.documents.length} documents acknowledged, ${documents.size} in the shared project`);
  expectEqual(lostDocuments, [], 'acknowledged documents missing');
  let tasks = 0;
  for (const w of acked.writers) {
    const found = new Set((await all(client, 'find_tasks', { project_id: w.projectId }, 'tasks')).map((t) => t.id));
    tasks += found.size;
    expectEqual(w.tasks.filter((id) => !found.has(id)), [], `acknowledged tasks missing in ${w.projectId}`);
    const versions = await all(client, 'find_versions', { project_id: w.projectId, field_name: 'data' }, 'versions');
    const numbers = new Set(versions.map((v) => v.version_number));
    expectEqual(w.versions.filter((n) => !numbers.has(n)), [], `acknowledged versions missing in ${w.projectId}`);
    const restores = versions.filter((v) => v.change_type === 'restore').sort((a, b) => b.version_number - a.version_number);
    expect(restores.length >= w.restores, `restore rows in ${w.projectId}`, `at least ${w.restores}`, restores.length);
    if (restores.length === 0) continue;
    // The newest restore: its saved row and the field it set were written together.
    const n = Number(/Before restoring version (\d+)/.exec(restores[0].change_summary ?? '')?.[1]);
    const restored = await ok(client, 'find_versions', { project_id: w.projectId, field_name: 'data', version_number: n });
    const project = await ok(client, 'find_projects', { project_id: w.projectId });
    expectEqual(project.project?.data, restored.version?.content, `data of ${w.projectId} after its newest restore (of version ${n})`);
  }
  console.log(`     ${acked.writers.reduce((s, w) => s + w.tasks.length, 0)} tasks acknowledged, ${tasks} found`);
}

let a;
let b;
try {
  const acked = { count: 0, documents: [], writers: [] };
  const control = { stop: false, killed: false, afterKillByB: 0, afterKill(name) { if (this.killed && name === 'b') this.afterKillByB += 1; } };
  let sharedId;
  const loops = [];
  const clients = [];

  const started = await check(`two instances, A and B, on one store; ${WRITERS_ON_A} clients writing through A, one through B`, async () => {
    a = await startMcpgate(binary, args);
    b = await startMcpgate(binary, args);
    const setup = await connect(a.url, 'mcpgate-durability-setup');
    sharedId = (await ok(setup, 'manage_project', { action: 'create', title: 'Shared documents' })).project_id;
    const names = [...Array.from({ length: WRITERS_ON_A }, (_, i) => `a${i}`), 'b'];
    for (const name of names) {
      const projectId = (await ok(setup, 'manage_project', { action: 'create', title: `Writer ${name}` })).project_id;
      const client = await connect(name === 'b' ? b.url : a.url, `mcpgate-durability-${name}`);
      clients.push(client);
      loops.push(writer(client, name, projectId, sharedId, acked, control));
    }
    await setup.close();
    await until(() => acked.count >= KILL_AFTER_WRITES, WRITES_WAIT_MS, `${KILL_AFTER_WRITES} acknowledged writes`);
  }, WRITES_WAIT_MS + 30000);

  if (started && postgresql) {
    await check(`A frozen holding a row lock: a write through B on that row waits only the ${IDLE_TRANSACTION_TIMEOUT_S} s idle-transaction timeout`, async () => {
      const probe = await connect(b.url, 'mcpgate-durability-probe');
      try {
        let caught = false;
        let tries = 0;
        let caughtAt = 0;
        for (let t = 0; t < FREEZE_TRIES && !caught; ++t) {
          tries = t + 1;
          process.kill(a.pid, 'SIGSTOP');
          caughtAt = Date.now();
          try {
            const write = call(probe, 'manage_document', {
              action: 'create', project_id: sharedId, title: `probe-${t}`, document_type: 'note',
            });
            caught = (await Promise.race([write.then(() => false), sleep(PROBE_MS).then(() => true)]));
            // Waiting on A's lock (caught), the SDK's request timeout bounds the wait.
            const r = await write;
            expect(r.success === true, `the write through B (try ${t}${caught ? ', after waiting on A' : ''})`, 'success', r);
            acked.documents.push(r.document_id);
          } finally {
            process.kill(a.pid, 'SIGCONT');
          }
          if (!caught) await sleep(20 + 10 * (t % 7));
        }
        expect(caught, `A frozen while holding the shared row's lock, in ${FREEZE_TRIES} tries`, 'once', 'never');
        console.log(`     caught at try ${tries}: B's write waited ${Date.now() - caughtAt} ms`);
      } finally {
        await probe.close().catch(() => {});
      }
      // A carries on: more writes land before it is killed.
      const before = acked.count;
      await until(() => acked.count >= before + KILL_AFTER_WRITES / 2, WRITES_WAIT_MS, 'writes after A was continued');
    }, FREEZE_TRIES * 500 + REQUEST_TIMEOUT_MS + WRITES_WAIT_MS);
  }
  if (started) {
    await check('SIGKILL of A in the middle of the writes', async () => {
      const killed = await a.kill('SIGKILL');
      control.killed = true;
      expectEqual(killed.signal, 'SIGKILL', 'A died of SIGKILL');
      await a.stop();
      a = undefined;
      console.log(`     ${acked.count} writes acknowledged when A was killed`);
    });
    await check(`B keeps writing right after the kill: ${WRITES_AFTER_KILL} more steps on the shared rows`, async () => {
      const bWriter = acked.writers[acked.writers.length - 1];
      await until(() => control.afterKillByB >= WRITES_AFTER_KILL || bWriter.failure !== undefined,
        WRITES_WAIT_MS, `${WRITES_AFTER_KILL} steps of B after the kill`);
      expectEqual(bWriter.failure, undefined, 'the failure of a write on B');
      expectEqual(bWriter.refused, [], 'writes B refused');
    }, WRITES_WAIT_MS + 5000);
    control.stop = true;
    await Promise.all(loops);
    for (const client of clients) await client.close().catch(() => {});

    await check('A restarted on the same store: every acknowledged write is there, none half done', async () => {
      a = await startMcpgate(binary, args);
      const client = await connect(a.url, 'mcpgate-durability-check');
      try {
        await verify(client, acked, sharedId);
      } finally {
        await client.close().catch(() => {});
      }
    }, 120000);
  }
} catch (error) {
  recordFailure('harness', describeError(error));
} finally {
  if (a) await a.stop();
  if (b) await b.stop();
  rmSync(work, { recursive: true, force: true });
}
finish();
