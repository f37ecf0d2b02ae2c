#!/usr/bin/env node
// Benchmark peer: an MCP server built on the official TypeScript SDK (@modelcontextprotocol/sdk),
// deployed the way the SDK documents it, on node's own http module. It serves the same three
// tools, transports and /health shape that bench/run.sh compares against mcpgate.
//
//   node server.mjs [--host H] [--port P] [--port-file PATH] [--backend URL] [--json-response]
//
// See README.md beside this file, or run with --help.

import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import {
  isInitializeRequest,
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const USAGE = `usage: node server.mjs [options]

An MCP server on the official TypeScript SDK (benchmark peer for mcpgate).

  --host HOST        address to listen on (default 127.0.0.1)
  --port PORT        port to listen on; 0 picks a free one (default 0)
  --port-file PATH   once listening, write the bound port and a newline to PATH
                     (written to a temporary file, then renamed into place)
  --backend URL      REST backend for find_projects and health probes,
                     e.g. http://127.0.0.1:9000 (default: none)
  --json-response    answer Streamable HTTP POSTs with application/json
                     instead of an SSE stream
  --help             show this text

Endpoints: POST/GET/DELETE /mcp (Streamable HTTP), GET /sse and
POST /messages?sessionId=ID (legacy HTTP+SSE), GET /health.
`;

// --- configuration -----------------------------------------------------------------------

const SERVER_NAME = 'ts-sdk-peer';
const SERVER_VERSION = '1.0.0';
const SESSION_TTL_S = 3600; // idle Streamable HTTP sessions are closed after this long
const REAPER_INTERVAL_MS = 60_000;
const MAX_BODY_BYTES = 4 * 1024 * 1024; // the SDK's own default bound
const BACKEND_PROBE_TIMEOUT_MS = 5_000;
const BACKEND_REQUEST_TIMEOUT_MS = 20_000;
const SHUTDOWN_GRACE_MS = 1_500;

function fail(message) {
  process.stderr.write(`server.mjs: ${message}\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv) {
  const options = { host: '127.0.0.1', port: 0, portFile: null, backend: null, jsonResponse: false };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let inline;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq !== -1) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) fail(`${arg} needs a value`);
      return argv[++i];
    };
    switch (arg) {
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        process.exit(0);
        break;
      case '--host':
        options.host = value();
        break;
      case '--port': {
        const text = value();
        const port = Number(text);
        if (!/^\d+$/.test(text) || port > 65535) fail(`--port must be 0..65535, got '${text}'`);
        options.port = port;
        break;
      }
      case '--port-file':
        options.portFile = value();
        break;
      case '--backend': {
        const text = value();
        let url;
        try {
          url = new URL(text);
        } catch {
          fail(`--backend is not a URL: '${text}'`);
        }
        if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`--backend must be http(s): '${text}'`);
        options.backend = text.replace(/\/+$/, '');
        break;
      }
      case '--json-response':
        if (inline !== undefined) fail('--json-response takes no value');
        options.jsonResponse = true;
        break;
      default:
        fail(`unknown argument: ${argv[i]}`);
    }
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
const startedAt = Date.now();

// --- sessions ----------------------------------------------------------------------------

// Streamable HTTP sessions by id: { transport, server, state }.
const streamableSessions = new Map();
// Legacy HTTP+SSE sessions by id: { transport, server, state }.
const sseSessions = new Map();

function sessionCounts() {
  const streamable = streamableSessions.size;
  const legacy = sseSessions.size;
  return { streamable_http: streamable, legacy_sse: legacy, total: streamable + legacy };
}

// The version the SDK's Server answers an initialize with (it does not expose it afterwards).
function negotiatedVersion(requested) {
  return SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION;
}

const uptimeSeconds = () => (Date.now() - startedAt) / 1000;

// --- shared initialisation ---------------------------------------------------------------
// Built once, lazily, by the first session; every new session awaits it before it is served.
// A rejection clears the memo so that the next session tries again.

let sharedPromise = null;
let initState = 'starting'; // starting | ready | failed
let initRuns = 0;

function sharedContext() {
  if (sharedPromise) return sharedPromise;
  initRuns++;
  initState = 'starting';
  const attempt = buildSharedContext();
  sharedPromise = attempt;
  attempt.then(
    () => {
      initState = 'ready';
    },
    (error) => {
      initState = 'failed';
      if (sharedPromise === attempt) sharedPromise = null;
      console.error(`shared initialisation failed: ${error?.message ?? error}`);
    },
  );
  return attempt;
}

async function buildSharedContext() {
  const context = { backend: options.backend, backendAnswered: null, backendHealthy: null };
  if (options.backend) {
    const probe = await probeBackend();
    context.backendAnswered = probe.answered;
    context.backendHealthy = probe.healthy;
    if (!probe.healthy) {
      console.error(`backend ${options.backend} not ready at start (${probe.detail}); serving anyway`);
    }
  }
  return context;
}

// GET {backend}/api/health. Never throws: { answered, healthy, detail }.
async function probeBackend() {
  try {
    const response = await fetch(`${options.backend}/api/health`, {
      signal: AbortSignal.timeout(BACKEND_PROBE_TIMEOUT_MS),
    });
    await response.arrayBuffer(); // drain, so the keep-alive connection goes back to the pool
    return { answered: true, healthy: response.ok, detail: `HTTP ${response.status}` };
  } catch (error) {
    return { answered: false, healthy: false, detail: describeFetchError(error) };
  }
}

function describeFetchError(error) {
  if (error?.name === 'TimeoutError') return 'timed out';
  const cause = error?.cause;
  if (cause?.code) return `${cause.code}${cause.message ? `: ${cause.message}` : ''}`;
  return error?.message ?? String(error);
}

// --- tools -------------------------------------------------------------------------------

const READ_ONLY_LOCAL = { readOnlyHint: true, openWorldHint: false };
const findProjectsInput = {
  project_id: z.string().optional().describe('ID of one project to fetch; omit to list them all'),
};

function textResult(payload, isError = false) {
  const result = { content: [{ type: 'text', text: JSON.stringify(payload) }] };
  if (isError) result.isError = true;
  return result;
}

function errorResult(type, message) {
  return textResult({ success: false, error: { type, message } }, true);
}

async function findProjects(projectId) {
  if (!options.backend) {
    return errorResult('configuration_error', 'no backend configured (start the server with --backend URL)');
  }
  const url = projectId === undefined
    ? `${options.backend}/api/projects`
    : `${options.backend}/api/projects/${encodeURIComponent(projectId)}`;
  let response;
  let text;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(BACKEND_REQUEST_TIMEOUT_MS),
    });
    text = await response.text();
  } catch (error) {
    return errorResult('connection_error', `GET ${url} failed: ${describeFetchError(error)}`);
  }
  if (!response.ok) {
    return errorResult('http_error', `GET ${url} answered HTTP ${response.status}: ${text.slice(0, 200)}`);
  }
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return errorResult('http_error', `GET ${url} answered HTTP ${response.status} with a body that is not JSON`);
  }
  if (projectId !== undefined) return textResult({ success: true, project: body });
  const projects = body?.projects ?? body;
  const count = Array.isArray(projects) ? projects.length : 0;
  return textResult({ success: true, projects, count });
}

// One McpServer per session, as the SDK's examples do. `state` holds what the session knows
// about itself (its transport kind and the negotiated protocol version).
function createMcpServer(state) {
  const server = new McpServer({ name: SERVER_NAME, version: SERVER_VERSION });

  server.registerTool(
    'session_info',
    {
      title: 'Session info',
      description:
        'Count the MCP sessions open on this server, by transport, and report the idle timeout, ' +
        'the server uptime, this session\'s id and its protocol version.',
      annotations: READ_ONLY_LOCAL,
    },
    async (extra) => {
      const counts = sessionCounts();
      return textResult({
        success: true,
        session_management: {
          active_sessions: counts.total,
          sessions_by_transport: { streamable_http: counts.streamable_http, legacy_sse: counts.legacy_sse },
          session_timeout: SESSION_TTL_S,
          server_uptime_seconds: uptimeSeconds(),
          current_session: extra.sessionId ?? null,
          protocol_version: state.protocolVersion,
        },
        timestamp: new Date().toISOString(),
      });
    },
  );

  server.registerTool(
    'health_check',
    {
      title: 'Health check',
      description:
        'Report whether the server is up and ready: its status, uptime and start-up state, and ' +
        'whether the backend API answers when one is configured.',
      annotations: READ_ONLY_LOCAL,
    },
    async () => {
      const health = { status: 'healthy', initialization: initState };
      if (options.backend) {
        const probe = await probeBackend();
        health.api_service = probe.healthy;
      }
      return textResult({
        success: true,
        health,
        uptime_seconds: uptimeSeconds(),
        timestamp: new Date().toISOString(),
      });
    },
  );

  server.registerTool(
    'find_projects',
    {
      title: 'Find projects',
      description:
        'List the projects in the backend, or fetch one project when project_id is given. ' +
        'Needs a backend (--backend).',
      inputSchema: findProjectsInput,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    async ({ project_id: projectId }) => findProjects(projectId),
  );

  return server;
}

// --- HTTP helpers ------------------------------------------------------------------------

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendJsonRpcError(res, status, code, message, id = null) {
  sendJson(res, status, { jsonrpc: '2.0', error: { code, message }, id });
}

// Reads and parses a JSON body (at most MAX_BODY_BYTES). Throws HttpError 413 or 400.
async function readJsonBody(req) {
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_BODY_BYTES) {
    throw new HttpError(413, -32000, `Payload Too Large: request body must not exceed ${MAX_BODY_BYTES} bytes`);
  }
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new HttpError(413, -32000, `Payload Too Large: request body must not exceed ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  try {
    return JSON.parse(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, -32700, 'Parse error: Invalid JSON');
  }
}

function headerValue(req, name) {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

// Awaits the shared context for a new session; answers 503 and returns false when it failed.
async function awaitSharedContext(res, id = null) {
  try {
    await sharedContext();
    return true;
  } catch (error) {
    if (!res.headersSent) {
      sendJsonRpcError(res, 503, -32603, `Service unavailable: initialisation failed: ${error?.message ?? error}`, id);
    }
    return false;
  }
}

// --- Streamable HTTP (/mcp) --------------------------------------------------------------

async function handleMcp(req, res) {
  const sessionId = headerValue(req, 'mcp-session-id');

  if (sessionId !== undefined) {
    const session = streamableSessions.get(sessionId);
    if (!session) {
      // Drain the body so that the connection stays usable for keep-alive.
      req.resume();
      sendJsonRpcError(res, 404, -32001, 'Session not found');
      return;
    }
    session.state.lastSeen = Date.now();
    if (req.method === 'POST') {
      const body = await readJsonBody(req);
      await session.transport.handleRequest(req, res, body);
    } else if (req.method === 'GET') {
      // The standalone SSE stream: the session is not idle while it is open.
      session.state.openStreams++;
      res.once('close', () => {
        session.state.openStreams--;
        session.state.lastSeen = Date.now();
      });
      await session.transport.handleRequest(req, res);
    } else {
      await session.transport.handleRequest(req, res);
    }
    return;
  }

  if (req.method !== 'POST') {
    req.resume();
    sendJsonRpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    return;
  }
  const body = await readJsonBody(req);
  if (!isInitializeRequest(body)) {
    sendJsonRpcError(res, 400, -32000, 'Bad Request: No valid session ID provided', body?.id ?? null);
    return;
  }
  if (!(await awaitSharedContext(res, body.id))) return;
  if (res.destroyed) return; // the client went away while the shared context was being built

  const state = {
    transport: 'streamable_http',
    protocolVersion: negotiatedVersion(body.params?.protocolVersion),
    lastSeen: Date.now(),
    openStreams: 0,
  };
  const server = createMcpServer(state);
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    enableJsonResponse: options.jsonResponse,
    onsessioninitialized: (id) => {
      streamableSessions.set(id, { transport, server, state });
    },
  });
  transport.onclose = () => {
    const id = transport.sessionId;
    if (id !== undefined && streamableSessions.get(id)?.transport === transport) {
      streamableSessions.delete(id);
    }
  };
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}

// Closes Streamable HTTP sessions idle past the TTL (no request and no open GET stream).
function reapIdleSessions() {
  const cutoff = Date.now() - SESSION_TTL_S * 1000;
  for (const { transport, state } of streamableSessions.values()) {
    if (state.openStreams === 0 && state.lastSeen < cutoff) {
      transport.close().catch((error) => console.error(`closing an idle session failed: ${error?.message ?? error}`));
    }
  }
}

// --- legacy HTTP+SSE (/sse, /messages) ---------------------------------------------------

async function handleSseStream(req, res) {
  if (!(await awaitSharedContext(res))) return;
  if (res.destroyed) return;

  const state = { transport: 'legacy_sse', protocolVersion: null };
  const server = createMcpServer(state);
  const transport = new SSEServerTransport('/messages', res);
  const id = transport.sessionId;
  sseSessions.set(id, { transport, server, state });
  res.once('close', () => {
    sseSessions.delete(id);
    server.close().catch(() => {});
  });
  await server.connect(transport); // writes the headers and the endpoint event
}

async function handleSseMessage(req, res, url) {
  const id = url.searchParams.get('sessionId');
  const session = id === null ? undefined : sseSessions.get(id);
  if (!session) {
    req.resume();
    sendJsonRpcError(res, 404, -32001, 'Session not found');
    return;
  }
  const body = await readJsonBody(req);
  if (body?.method === 'initialize') {
    session.state.protocolVersion = negotiatedVersion(body.params?.protocolVersion);
  }
  await session.transport.handlePostMessage(req, res, body);
}

// --- routing -----------------------------------------------------------------------------

function handleHealth(res) {
  sendJson(
    res,
    200,
    { status: initState, sessions: sessionCounts(), init_runs: initRuns, rss_bytes: process.memoryUsage().rss },
    { 'cache-control': 'no-store' },
  );
}

function methodNotAllowed(req, res, allow) {
  req.resume();
  res.writeHead(405, { allow, 'content-type': 'text/plain' });
  res.end('Method Not Allowed\n');
}

async function route(req, res) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  switch (url.pathname) {
    case '/mcp':
      if (req.method === 'POST' || req.method === 'GET' || req.method === 'DELETE') return handleMcp(req, res);
      return methodNotAllowed(req, res, 'GET, POST, DELETE');
    case '/sse':
      if (req.method === 'GET') return handleSseStream(req, res);
      return methodNotAllowed(req, res, 'GET');
    case '/messages':
      if (req.method === 'POST') return handleSseMessage(req, res, url);
      return methodNotAllowed(req, res, 'POST');
    case '/health':
      if (req.method === 'GET' || req.method === 'HEAD') return handleHealth(res);
      return methodNotAllowed(req, res, 'GET, HEAD');
    default:
      req.resume();
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not Found\n');
  }
}

function onRequest(req, res) {
  route(req, res).catch((error) => {
    if (error instanceof HttpError) {
      if (!res.headersSent) sendJsonRpcError(res, error.status, error.code, error.message);
      return;
    }
    console.error(`error handling ${req.method} ${req.url}: ${error?.stack ?? error}`);
    if (!res.headersSent) {
      sendJsonRpcError(res, 500, -32603, 'Internal server error');
    } else if (!res.writableEnded) {
      res.destroy(); // a half-written answer cannot be finished
    }
  });
}

// --- the server --------------------------------------------------------------------------

const httpServer = createServer(onRequest);
httpServer.keepAliveTimeout = 65_000; // longer than the usual 60 s of clients and proxies
httpServer.headersTimeout = 70_000; // must exceed keepAliveTimeout
httpServer.requestTimeout = 0; // SSE streams live as long as the session
httpServer.maxConnections = Infinity;

process.on('uncaughtException', (error) => {
  console.error(`uncaught exception: ${error?.stack ?? error}`);
});
process.on('unhandledRejection', (reason) => {
  console.error(`unhandled rejection: ${reason?.stack ?? reason}`);
});

httpServer.on('error', (error) => {
  console.error(`server error: ${error?.message ?? error}`);
  process.exit(1);
});

httpServer.listen(options.port, options.host, () => {
  const { port } = httpServer.address();
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  if (options.portFile) {
    const temp = `${options.portFile}.${process.pid}.tmp`;
    try {
      writeFileSync(temp, `${port}\n`);
      renameSync(temp, options.portFile);
    } catch (error) {
      try {
        unlinkSync(temp);
      } catch {
        // nothing to remove
      }
      console.error(`cannot write the port file ${options.portFile}: ${error?.message ?? error}`);
      process.exit(1);
    }
  }
  console.error(`listening on ${shownHost}:${port}`);
});

const reaper = setInterval(reapIdleSessions, REAPER_INTERVAL_MS);
reaper.unref();

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  const force = setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS);
  force.unref();
  clearInterval(reaper);
  httpServer.close();
  const sessions = [...streamableSessions.values(), ...sseSessions.values()];
  await Promise.allSettled(sessions.map(({ server }) => server.close()));
  httpServer.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
