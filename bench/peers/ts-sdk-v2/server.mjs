#!/usr/bin/env node
// Benchmark peer for the modern era (MCP 2026-07-28): an MCP server on the official TypeScript
// SDK v2, deployed the way the SDK documents it: `createMcpHandler` from
// @modelcontextprotocol/server (a fresh server per request, no sessions; 2025-era requests are
// served statelessly too) mounted on node's own http module with `toNodeHandler` from
// @modelcontextprotocol/node. It serves the tools bench/run.sh's modern workload calls, with
// the answers the 1.x peer (../ts-sdk) gives.
//
//   node server.mjs [--host H] [--port P] [--port-file PATH]

import { createServer } from 'node:http';
import { renameSync, writeFileSync } from 'node:fs';

import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';

const USAGE = `usage: node server.mjs [--host HOST] [--port PORT] [--port-file PATH]

An MCP server on the official TypeScript SDK v2 (createMcpHandler), the benchmark peer for
mcpgate's modern-era (2026-07-28) workload. POST /mcp; GET /health.
`;

const SERVER_NAME = 'ts-sdk-v2-peer';
const SERVER_VERSION = '1.0.0';
const SHUTDOWN_GRACE_MS = 1_500;

function parseArgs(argv) {
  const options = { host: '127.0.0.1', port: 0, portFile: null };
  for (let i = 0; i < argv.length; i++) {
    const [arg, inline] = argv[i].startsWith('--') && argv[i].includes('=')
      ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)]
      : [argv[i], undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    switch (arg) {
      case '--help': case '-h': process.stdout.write(USAGE); process.exit(0); break;
      case '--host': options.host = value(); break;
      case '--port': options.port = Number(value()); break;
      case '--port-file': options.portFile = value(); break;
      default: process.stderr.write(`server.mjs: unknown argument ${arg}\n${USAGE}`); process.exit(2);
    }
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
const startedAt = Date.now();
const uptimeSeconds = () => (Date.now() - startedAt) / 1000;
const READ_ONLY_LOCAL = { readOnlyHint: true, openWorldHint: false };
const textResult = (payload) => ({ content: [{ type: 'text', text: JSON.stringify(payload) }] });

// The factory createMcpHandler calls for every request: the SDK's documented shape.
function createMcpServer() {
  const server = new McpServer({ name: SERVER_NAME, version: SERVER_VERSION });
  server.registerTool(
    'health_check',
    {
      title: 'Health check',
      description: 'Report whether the server is up and ready: its status and uptime.',
      annotations: READ_ONLY_LOCAL,
    },
    async () => textResult({
      success: true,
      health: { status: 'healthy', initialization: 'ready' },
      uptime_seconds: uptimeSeconds(),
      timestamp: new Date().toISOString(),
    }),
  );
  server.registerTool(
    'session_info',
    {
      title: 'Session info',
      description: 'Report the server uptime; there are no sessions in the modern era.',
      annotations: READ_ONLY_LOCAL,
    },
    async () => textResult({
      success: true,
      session_management: { active_sessions: 0, current_session: 'stateless', server_uptime_seconds: uptimeSeconds() },
      timestamp: new Date().toISOString(),
    }),
  );
  return server;
}

const handler = createMcpHandler(createMcpServer);
const mcp = toNodeHandler(handler);

const http = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/mcp') return mcp(req, res);
  if (path === '/health' && req.method === 'GET') {
    const body = JSON.stringify({ status: 'ready', sessions: { total: 0 }, init_runs: 0 });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    return res.end(body);
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found\n');
});
http.keepAliveTimeout = 65_000;

http.listen(options.port, options.host, () => {
  const { port } = http.address();
  if (options.portFile) {
    writeFileSync(`${options.portFile}.tmp`, `${port}\n`);
    renameSync(`${options.portFile}.tmp`, options.portFile);
  }
  console.error(`${SERVER_NAME} listening on http://${options.host}:${port}/mcp`);
});

function shutdown() {
  http.close();
  handler.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
