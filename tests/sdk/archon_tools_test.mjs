// End to end, tool by tool: the official MCP TypeScript SDK client calls each of Archon's 16
// tools through a real mcpgate, over Streamable HTTP (/mcp) and legacy HTTP+SSE (/sse), with
// mcpgate forwarding to a recording fixture backend (a small HTTP server in this process).
//
//   node archon_tools_test.mjs --binary PATH/TO/mcpgate
//
// For every tool it checks the REST request that reached the backend (method, path, query,
// body), that the result's text content and structuredContent.result carry the same JSON, and
// the fields of that JSON. Then the error paths a user meets most: an HTTP error with Archon's
// `detail.error` body, and a backend that is gone. The last line is machine-readable:
//
//   RESULT passed=N failed=M

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { createServer } from 'node:http';
import {
  check, describeError, expect, expectDeepEqual, expectEqual, finish, recordFailure, skip,
} from './harness.mjs';
import { startMcpgate } from './mcpgate_process.mjs';

const REQUEST_TIMEOUT_MS = 15000;
const opts = { timeout: REQUEST_TIMEOUT_MS };

function usage(message) {
  console.error(`archon_tools_test.mjs: ${message}\nusage: node archon_tools_test.mjs --binary PATH`);
  process.exit(2);
}
const binaryIndex = process.argv.indexOf('--binary');
const binary = binaryIndex > 0 ? process.argv[binaryIndex + 1] : undefined;
if (!binary) usage('--binary is required');

// --- the fixture backend -------------------------------------------------------------------

// Records every request; answers from routes set per check ("METHOD /raw/path" → reply).
class FixtureBackend {
  constructor() {
    this.routes = new Map();
    this.requests = [];
    this.connections = 0;
    this.server = createServer((req, res) => this.#handle(req, res));
    this.server.on('connection', () => { this.connections += 1; });
  }

  async start() {
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', resolve);
    });
    this.url = `http://127.0.0.1:${this.server.address().port}`;
  }

  async stop() {
    this.server.closeAllConnections?.();
    await new Promise((resolve) => this.server.close(() => resolve()));
  }

  answer(method, path, status, body) {
    this.routes.set(`${method} ${path}`, { status, body });
  }

  reset() {
    this.routes.clear();
    this.requests = [];
  }

  #handle(req, res) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const rawPath = req.url.split('?')[0];
      const text = Buffer.concat(chunks).toString('utf8');
      let body = null;
      if (text.length > 0) {
        try { body = JSON.parse(text); } catch { body = text; }
      }
      const query = [...new URL(req.url, 'http://fixture').searchParams.entries()];
      this.requests.push({ method: req.method, path: rawPath, query, body });
      const route = this.routes.get(`${req.method} ${rawPath}`) ?? { status: 404, body: { detail: 'Not Found' } };
      const payload = typeof route.body === 'string' ? route.body : JSON.stringify(route.body);
      res.writeHead(route.status, {
        'content-type': typeof route.body === 'string' ? 'text/plain' : 'application/json',
        'content-length': Buffer.byteLength(payload),
      });
      res.end(payload);
    });
  }
}

// --- the cases ------------------------------------------------------------------------------

const project = {
  id: 'p-1', title: 'Alpha', description: 'First project', github_repo: null, pinned: false,
  docs: [], features: [{ name: 'login' }], data: {}, created_at: '2026-11-25T10:00:00Z',
  updated_at: '2026-11-25T10:00:00Z',
};
const task = {
  id: 't-1', project_id: 'p-1', title: 'Write the parser', description: 'JSON-RPC first',
  status: 'review', assignee: 'User', task_order: 3, priority: 'medium', feature: 'core',
  sources: [{ url: 'x' }], code_examples: [],
};
const documentRecord = {
  id: 'd-1', title: 'Spec', document_type: 'spec', content: { goal: 'fast' }, tags: ['a'],
  author: 'User',
};

// Each case: the tool, its arguments, the route the fixture answers, the request mcpgate must
// send (query and body compared only when given) and a check of the tool's JSON result.
const cases = [
  {
    tool: 'health_check', args: {},
    route: ['GET', '/api/health', 200, { status: 'healthy', ready: true }],
    request: { method: 'GET', path: '/api/health' },
    verify: (r) => {
      expectEqual(r.success, true, 'success');
      expectEqual(r.health?.api_service, true, 'health.api_service');
      expect(typeof r.uptime_seconds === 'number', 'uptime_seconds', 'a number', r.uptime_seconds);
    },
  },
  {
    tool: 'session_info', args: {},
    request: null,  // answered by mcpgate itself
    verify: (r) => {
      expectEqual(r.success, true, 'success');
      const counts = r.session_management?.sessions_by_transport;
      expect(counts && typeof counts === 'object', 'session_management.sessions_by_transport', 'an object', r);
    },
  },
  {
    tool: 'rag_get_available_sources', args: {},
    route: ['GET', '/api/rag/sources', 200, { success: true, sources: [{ source_id: 's1', title: 'Docs' }], count: 1 }],
    request: { method: 'GET', path: '/api/rag/sources' },
    verify: (r) => {
      expectEqual(r.success, true, 'success');
      expectEqual(r.count, 1, 'count');
      expectEqual(r.sources?.[0]?.source_id, 's1', 'sources[0].source_id');
    },
  },
  {
    tool: 'rag_search_knowledge_base', args: { query: 'sse heartbeat', match_count: 3 },
    route: ['POST', '/api/rag/query', 200, {
      success: true, results: [{ page_id: 'pg-1', url: 'https://docs/x', content: 'heartbeats every 15 s' }],
      query: 'sse heartbeat', match_count: 3, total_found: 1, reranking_applied: true, return_mode: 'pages',
    }],
    request: { method: 'POST', path: '/api/rag/query', body: { query: 'sse heartbeat', match_count: 3, return_mode: 'pages' } },
    verify: (r) => {
      expectEqual(r.success, true, 'success');
      expectEqual(r.results?.[0]?.page_id, 'pg-1', 'results[0].page_id');
      expectEqual(r.reranked, true, 'reranked (from reranking_applied)');
      expectEqual(r.return_mode, 'pages', 'return_mode');
    },
  },
  {
    tool: 'rag_search_code_examples', args: { query: 'epoll loop', source_id: 's1' },
    route: ['POST', '/api/rag/code-examples', 200, { success: true, results: [{ code: 'epoll_wait(...)' }], reranked: false, error: null }],
    request: { method: 'POST', path: '/api/rag/code-examples', body: { query: 'epoll loop', match_count: 5, source: 's1' } },
    verify: (r) => {
      expectEqual(r.success, true, 'success');
      expectEqual(r.results?.[0]?.code, 'epoll_wait(...)', 'results[0].code');
      expectEqual(r.reranked, false, 'reranked');
    },
  },
  {
    tool: 'rag_list_pages_for_source', args: { source_id: 's1', section: 'Intro' },
    route: ['GET', '/api/pages', 200, { pages: [{ id: 'pg-1', url: 'https://docs/x', section_title: 'Intro', word_count: 12 }], total: 1, source_id: 's1' }],
    request: { method: 'GET', path: '/api/pages', query: [['source_id', 's1'], ['section', 'Intro']] },
    verify: (r) => {
      expectEqual(r.success, true, 'success');
      expectEqual(r.pages?.[0]?.id, 'pg-1', 'pages[0].id');
    },
  },
  {
    // The id needs escaping: it must arrive as one path segment.
    tool: 'rag_read_full_page', args: { page_id: 'pg 1/2' },
    route: ['GET', '/api/pages/pg%201%2F2', 200, { id: 'pg 1/2', url: 'https://docs/x', full_content: '# Intro\nhello' }],
    request: { method: 'GET', path: '/api/pages/pg%201%2F2' },
    verify: (r) => {
      expectEqual(r.success, true, 'success');
      expectEqual(r.page?.full_content, '# Intro\nhello', 'page.full_content');
    },
  },
  {
    tool: 'find_projects', args: {},
    route: ['GET', '/api/projects', 200, { projects: [project], count: 1 }],
    request: { method: 'GET', path: '/api/projects' },
    verify: (r) => {
      expectEqual(r.success, true, 'success');
      expectEqual(r.projects?.[0]?.id, 'p-1', 'projects[0].id');
      expectEqual(r.total_count ?? r.count, 1, 'total_count');
    },
  },
  {
    tool: 'manage_project', args: { action: 'create', title: 'Alpha' },
    route: ['POST', '/api/projects', 200, { project_id: 'p-1', project, status: 'completed', message: 'Project created' }],
    request: { method: 'POST', path: '/api/projects', body: { title: 'Alpha', description: '', github_repo: null } },
    verify: (r) => {
      expectEqual(r.success, true, 'success');
      expectEqual(r.project_id, 'p-1', 'project_id');
      expectEqual(r.project?.title, 'Alpha', 'project.title');
    },
  },
  {
    tool: 'find_tasks', args: { filter_by: 'status', filter_value: 'review', project_id: 'p-1' },
    route: ['GET', '/api/tasks', 200, { tasks: [task], pagination: { total: 7, page: 1, per_page: 10, pages: 1 } }],
    request: {
      method: 'GET', path: '/api/tasks',
      query: [['page', '1'], ['per_page', '10'], ['exclude_large_fields', 'true'], ['status', 'review'],
        ['include_closed', 'true'], ['project_id', 'p-1']],
    },
    verify: (r) => {
      expectEqual(r.success, true, 'success');
      expectEqual(r.total_count, 7, 'total_count (from pagination.total)');
      expectEqual(r.count, 1, 'count');
      expectEqual(r.tasks?.[0]?.sources_count, 1, 'tasks[0].sources_count');
    },
  },
  {
    tool: 'manage_task', args: { action: 'update', task_id: 't-1', status: 'review' },
    route: ['PUT', '/api/tasks/t-1', 200, { message: 'Task updated', task }],
    request: { method: 'PUT', path: '/api/tasks/t-1', body: { status: 'review' } },
    verify: (r) => {
      expectEqual(r.success, true, 'success');
      expectEqual(r.task?.status, 'review', 'task.status');
      expectEqual(r.message, 'Task updated', 'message');
    },
  },
  {
    tool: 'find_documents', args: { project_id: 'p-1' },
    route: ['GET', '/api/projects/p-1/docs', 200, { project_id: 'p-1', documents: [documentRecord], total_count: 1 }],
    request: { method: 'GET', path: '/api/projects/p-1/docs' },
    verify: (r) => {
      expectEqual(r.success, true, 'success');
      expectEqual(r.documents?.[0]?.id, 'd-1', 'documents[0].id');
    },
  },
  {
    tool: 'manage_document',
    args: { action: 'create', project_id: 'p-1', title: 'Spec', document_type: 'spec', content: { goal: 'fast' } },
    route: ['POST', '/api/projects/p-1/docs', 200, { message: 'Document created', document: documentRecord }],
    request: {
      method: 'POST', path: '/api/projects/p-1/docs',
      body: { title: 'Spec', document_type: 'spec', content: { goal: 'fast' }, tags: [], author: 'User' },
    },
    verify: (r) => {
      expectEqual(r.success, true, 'success');
      expectEqual(r.document_id, 'd-1', 'document_id');
    },
  },
  {
    tool: 'find_versions', args: { project_id: 'p-1', field_name: 'docs' },
    route: ['GET', '/api/projects/p-1/versions', 200, {
      project_id: 'p-1', field_name: 'docs', total_count: 1,
      versions: [{ id: 'v-1', version_number: 2, field_name: 'docs', change_summary: 'edit' }],
    }],
    request: { method: 'GET', path: '/api/projects/p-1/versions', query: [['field_name', 'docs']] },
    verify: (r) => {
      expectEqual(r.success, true, 'success');
      expectEqual(r.versions?.[0]?.version_number, 2, 'versions[0].version_number');
    },
  },
  {
    tool: 'manage_version', args: { action: 'restore', project_id: 'p-1', field_name: 'docs', version_number: 2 },
    route: ['POST', '/api/projects/p-1/versions/docs/2/restore', 200, {
      message: 'Restored version 2', project_id: 'p-1', field_name: 'docs', restored_version: 2, restored_by: 'system',
    }],
    request: { method: 'POST', path: '/api/projects/p-1/versions/docs/2/restore' },
    verify: (r) => {
      expectEqual(r.success, true, 'success');
      expectEqual(r.version_number, 2, 'version_number');
      expectEqual(r.message, 'Restored version 2', 'message');
    },
  },
  {
    tool: 'get_project_features', args: { project_id: 'p-1' },
    route: ['GET', '/api/projects/p-1/features', 200, { features: [{ name: 'login' }, { name: 'search' }], count: 2 }],
    request: { method: 'GET', path: '/api/projects/p-1/features' },
    verify: (r) => {
      expectEqual(r.success, true, 'success');
      expectEqual(r.count, 2, 'count');
      expectEqual(r.features?.[1]?.name, 'search', 'features[1].name');
    },
  },
];

// The tool's JSON result; also checks that text content and structuredContent agree.
function resultJson(result) {
  const text = (result?.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('');
  expectEqual(result?.structuredContent?.result, text, 'structuredContent.result equals the text content');
  return JSON.parse(text);
}

function verifyRequest(backend, want) {
  if (want === null) {
    expectEqual(backend.requests.map((q) => `${q.method} ${q.path}`), [], 'backend requests');
    return;
  }
  // health_check may probe more than once; the tool's own call is the last one.
  const got = backend.requests.at(-1);
  expect(got !== undefined, 'the backend request', `${want.method} ${want.path}`, 'no request');
  expectEqual(`${got.method} ${got.path}`, `${want.method} ${want.path}`, 'backend request line');
  if (want.query) expectEqual(got.query, want.query, 'backend query parameters');
  if (want.body) expectDeepEqual(got.body, want.body, 'backend request body');
}

async function toolSteps(t, client, backend) {
  await check(`${t}: tools/list has Archon's 16 tools`, async () => {
    const { tools } = await client.listTools(undefined, opts);
    const names = tools.map((tool) => tool.name).sort();
    expectEqual(names, cases.map((c) => c.tool).sort(), 'tool names');
    for (const tool of tools)
      expect(tool.outputSchema?.properties?.result?.type === 'string', `${tool.name} outputSchema.result`, 'a string', tool.outputSchema);
  });

  for (const c of cases) {
    await check(`${t}: ${c.tool} ${JSON.stringify(c.args)}`, async () => {
      backend.reset();
      if (c.route) backend.answer(...c.route);
      const result = await client.callTool({ name: c.tool, arguments: c.args }, undefined, opts);
      expect(result.isError !== true, 'isError', 'not set', result);
      const payload = resultJson(result);
      verifyRequest(backend, c.request);
      c.verify(payload);
    });
  }

  await check(`${t}: an HTTP 404 with Archon's detail.error body gives not_found`, async () => {
    backend.reset();
    backend.answer('GET', '/api/tasks/t-404', 404, { detail: { error: 'Task not found' } });
    const result = await client.callTool({ name: 'find_tasks', arguments: { task_id: 't-404' } }, undefined, opts);
    const payload = resultJson(result);
    expectEqual(payload.success, false, 'success');
    expectEqual(payload.error?.type, 'not_found', 'error.type');
  });

  await check(`${t}: an HTTP 500 with a text body gives http_error with the status`, async () => {
    backend.reset();
    backend.answer('GET', '/api/projects', 500, 'upstream exploded');
    const result = await client.callTool({ name: 'find_projects', arguments: {} }, undefined, opts);
    const payload = resultJson(result);
    expectEqual(payload.success, false, 'success');
    expectEqual(payload.error?.type, 'http_error', 'error.type');
    expectEqual(payload.error?.http_status, 500, 'error.http_status');
  });
}

async function connectStreamable(url) {
  const client = new Client({ name: 'mcpgate-tools-test-http', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)), opts);
  return client;
}

async function connectSse(url) {
  const client = new Client({ name: 'mcpgate-tools-test-sse', version: '1.0.0' });
  await client.connect(new SSEClientTransport(new URL(`${url}/sse`)), opts);
  return client;
}

// --- the run ---------------------------------------------------------------------------------

const backend = new FixtureBackend();
let server;
try {
  await backend.start();
  server = await startMcpgate(binary, ['--backend', backend.url]);
  console.log(`mcpgate ${binary} at ${server.url}, fixture backend at ${backend.url}`);

  for (const [t, connect] of [['streamable-http', connectStreamable], ['legacy-sse', connectSse]]) {
    let client;
    const connected = await check(`${t}: connect and initialize`, async () => { client = await connect(server.url); });
    if (!connected) {
      skip(`${t}: the tool checks`, 'connect failed');
      continue;
    }
    await toolSteps(t, client, backend);
    await client.close().catch(() => {});
  }

  await check('backend gone: a tool answers connection_error at once, /health says degraded', async () => {
    const client = await connectStreamable(server.url);
    await backend.stop();
    const result = await client.callTool({ name: 'find_projects', arguments: {} }, undefined, opts);
    const payload = resultJson(result);
    expectEqual(payload.success, false, 'success');
    expectEqual(payload.error?.type, 'connection_error', 'error.type');
    const health = await client.callTool({ name: 'health_check', arguments: {} }, undefined, opts);
    expectEqual(resultJson(health).health?.api_service, false, 'health_check health.api_service');
    const response = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const body = await response.json();
    expectEqual(body.status, 'degraded', '/health status');
    await client.close().catch(() => {});
  });
} catch (error) {
  recordFailure('harness', describeError(error));
  if (server) console.log(`---- mcpgate log ----\n${server.log.join('').slice(-4000)}`);
} finally {
  if (server) await server.stop();
  await backend.stop().catch(() => {});
}
finish();
