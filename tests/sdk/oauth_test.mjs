// OAuth end to end: mcpgate as a resource server for a local authorization server
// (oauth_issuer.mjs, signing with `jose`), and the official TypeScript SDK's OAuth client support
// (ClientCredentialsProvider): the SDK meets mcpgate's 401, reads the Protected Resource Metadata
// it names, discovers the issuer, gets a token for the resource (RFC 8707) and calls tools, over
// Streamable HTTP and legacy HTTP+SSE. Also: a read-only client is refused the write tools (still
// listed), the issuer rotates its key, and the issuer going down leaves tokens working.
//
//   node oauth_test.mjs --binary PATH/TO/mcpgate
//
// The last line is machine-readable: RESULT passed=N failed=M

import {
  Client as ClientV2, ClientCredentialsProvider as ProviderV2, StreamableHTTPClientTransport as TransportV2,
} from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, expect, expectEqual, finish, recordFailure, describeError } from './harness.mjs';
import { startMcpgate } from './mcpgate_process.mjs';
import { startIssuer } from './oauth_issuer.mjs';

const opts = { timeout: 15000 };
const binaryIndex = process.argv.indexOf('--binary');
const binary = binaryIndex > 0 ? process.argv[binaryIndex + 1] : undefined;
if (!binary) {
  console.error('usage: node oauth_test.mjs --binary PATH');
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'mcpgate-oauth-'));
const clients = {
  'ci-client': { secret: 'ci-secret', subject: 'ci-bot' },
  'reader': { secret: 'reader-secret', subject: 'reader-bot', scopes: ['mcpgate:read'] },
};
let issuer;
let server;
const open = [];

function provider(id, scope = 'mcpgate:read mcpgate:write') {
  return new ClientCredentialsProvider({
    clientId: id, clientSecret: clients[id].secret, expectedIssuer: issuer.url, scope,
  });
}

async function connect(id, { sse = false, scope } = {}) {
  const client = new Client({ name: `oauth-${id}`, version: '1.0.0' });
  const url = new URL(`${server.url}/${sse ? 'sse' : 'mcp'}`);
  const authProvider = provider(id, scope);
  const transport = sse ? new SSEClientTransport(url, { authProvider })
                        : new StreamableHTTPClientTransport(url, { authProvider });
  await client.connect(transport, opts);
  open.push(client);
  return client;
}

async function sessionInfo(client) {
  const result = await client.callTool({ name: 'session_info', arguments: {} }, undefined, opts);
  expect(!result.isError, 'session_info', 'a result', result);
  return JSON.parse(result.content[0].text).session_management;
}

try {
  issuer = await startIssuer({ clients });
  server = await startMcpgate(binary, ['--data', join(work, 'mcpgate.db'), '--oauth-issuer', issuer.url,
                                       '--oauth-jwks-min-refresh', '0']);

  await check('without a token: 401 naming the protected resource metadata, which names the issuer', async () => {
    const res = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { 'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
    expectEqual(res.status, 401, 'status');
    const challenge = res.headers.get('www-authenticate') ?? '';
    const match = challenge.match(/resource_metadata="([^"]+)"/);
    expect(match, 'WWW-Authenticate', 'resource_metadata="…"', challenge);
    const metadata = await (await fetch(match[1])).json();
    expectEqual(metadata.resource, `${server.url}/mcp`, 'resource');
    expectEqual(JSON.stringify(metadata.authorization_servers), JSON.stringify([issuer.url]), 'authorization_servers');
  });

  let writer;
  await check('the SDK (client credentials) discovers the issuer from the 401, gets a token and calls tools', async () => {
    writer = await connect('ci-client');
    const info = await sessionInfo(writer);
    expectEqual(info.subject, 'ci-bot', 'session_info subject');
    const created = await writer.callTool({ name: 'manage_project', arguments: { action: 'create', title: 'OAuth' } },
      undefined, opts);
    expect(!created.isError, 'manage_project create', 'a result', created);
    expect(issuer.stats.tokens >= 1, 'tokens issued', '>= 1', issuer.stats.tokens);
  });

  await check('legacy HTTP+SSE: the same discovery and token, the session bound to its subject', async () => {
    const legacy = await connect('ci-client', { sse: true });
    expectEqual((await sessionInfo(legacy)).subject, 'ci-bot', 'subject');
  });

  await check('a read-only token: write tools listed but refused with a tool error naming the scope', async () => {
    const reader = await connect('reader', { scope: 'mcpgate:read' });
    const { tools } = await reader.listTools(undefined, opts);
    expect(tools.some((t) => t.name === 'manage_project'), 'tools/list', 'manage_project listed', tools.map((t) => t.name));
    const refused = await reader.callTool({ name: 'manage_project', arguments: { action: 'create', title: 'x' } },
      undefined, opts);
    expect(refused.isError && /mcpgate:write/.test(refused.content[0].text), 'manage_project', 'a scope error', refused);
    const found = await reader.callTool({ name: 'find_projects', arguments: {} }, undefined, opts);
    expect(!found.isError, 'find_projects', 'a result', found);
  });

  await check('2026-07-28 (the v2 SDK, stateless): the same discovery, token and scope rules on every request', async () => {
    const fetches = [];
    const spyFetch = (url, init) => {
      fetches.push(new Headers(init?.headers).get('mcp-protocol-version'));
      return fetch(url, init);
    };
    const client = new ClientV2({ name: 'oauth-modern', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    const authProvider = new ProviderV2({ clientId: 'reader', clientSecret: clients.reader.secret,
                                          expectedIssuer: issuer.url, scope: 'mcpgate:read' });
    await client.connect(new TransportV2(new URL(`${server.url}/mcp`), { authProvider, fetch: spyFetch }), opts);
    open.push(client);
    const info = await client.callTool({ name: 'session_info', arguments: {} }, opts);
    const management = JSON.parse(info.content[0].text).session_management;
    expectEqual(management.current_session, 'stateless', 'current_session');
    expectEqual(management.subject, 'reader-bot', 'subject');
    const refused = await client.callTool({ name: 'manage_project', arguments: { action: 'create', title: 'x' } }, opts);
    expect(refused.isError && /mcpgate:write/.test(refused.content[0].text), 'manage_project', 'a scope error', refused);
    expect(fetches.includes('2026-07-28'), 'requests', 'sent as 2026-07-28', fetches);
  });

  await check('the issuer rotates to an EdDSA key: new tokens are accepted (mcpgate fetches the new key)', async () => {
    const before = issuer.stats.jwks;
    await issuer.rotate('EdDSA');
    const fresh = await connect('ci-client');
    expectEqual((await sessionInfo(fresh)).subject, 'ci-bot', 'subject');
    expect(issuer.stats.jwks > before, 'JWKS fetched again', `> ${before}`, issuer.stats.jwks);
  });

  await check('the issuer goes down: clients holding tokens keep calling tools', async () => {
    await issuer.down();
    expectEqual((await sessionInfo(writer)).subject, 'ci-bot', 'subject');
    await issuer.up();
  });

  await check('a token signed for another resource is refused (RFC 8707 audience)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await issuer.sign({ iss: issuer.url, sub: 'x', aud: 'http://127.0.0.1:1/mcp', scope: 'mcpgate:read',
                                      exp: now + 60 });
    const res = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { 'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream', Authorization: `Bearer ${token}` },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
    expectEqual(res.status, 401, 'status');
    expect(/invalid_token/.test(res.headers.get('www-authenticate') ?? ''), 'challenge', 'error="invalid_token"',
      res.headers.get('www-authenticate'));
  });
} catch (error) {
  recordFailure('oauth setup', describeError(error), 0);
} finally {
  for (const client of open) await client.close().catch(() => {});
  await server?.stop();
  await issuer?.close().catch(() => {});
  rmSync(work, { recursive: true, force: true });
}
finish();
