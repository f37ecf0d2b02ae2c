// Runs a real nginx on one of the shipped configs (scripts/nginx/*.conf) from a temporary
// prefix, with only addresses, the listen line and the access log replaced, for tests.
//
//   const proxy = await startNginx({
//     nginx: '/usr/sbin/nginx', conf: 'scripts/nginx/mcpgate.conf', dir: '/tmp/x/nginx',
//     edits: [['127.0.0.1:8051', '127.0.0.1:40123'], ...],   // every FROM must be in the file
//   });
//   proxy.base        // "http://127.0.0.1:PORT/mcp-gate"
//   proxy.accessLog   // the access log's path
//   await proxy.stop();
//
// nginx runs in the foreground (no daemon, no master), its temp files and logs in `dir`. The
// shipped config's `listen 8080;` and `/var/log/nginx/mcpgate.access.log` are always replaced.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const NGINX_START_MS = 10000;

export async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function renderConf({ conf, dir, edits }, port) {
  let text = readFileSync(conf, 'utf8');
  const accessLog = join(dir, 'access.log');
  const all = [...edits, ['listen 8080;', `listen 127.0.0.1:${port};`],
    ['/var/log/nginx/mcpgate.access.log', accessLog]];
  for (const [from, to] of all) {
    // A replaced text that is gone from the shipped file would make the test stop testing it.
    if (!text.includes(from)) throw new Error(`${conf} has no '${from}' any more; update the test`);
    text = text.split(from).join(to);
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'mcpgate.conf'), text);
  const temp = (name) => `${name}_temp_path ${join(dir, name)};`;
  writeFileSync(join(dir, 'nginx.conf'), [
    'daemon off;', 'master_process off;', 'worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')};`, `error_log ${join(dir, 'error.log')} notice;`,
    'events { worker_connections 1024; }',
    'http {', `  ${temp('client_body')}`, `  ${temp('proxy')}`, `  ${temp('fastcgi')}`,
    `  ${temp('uwsgi')}`, `  ${temp('scgi')}`, '  access_log off;',
    `  include ${join(dir, 'mcpgate.conf')};`, '}', '',
  ].join('\n'));
  return accessLog;
}

export async function startNginx(options) {
  const { nginx, dir } = options;
  const port = await freePort();
  const accessLog = renderConf(options, port);
  const args = ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')];
  execFileSync(nginx, ['-t', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const child = spawn(nginx, args, { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const base = `http://127.0.0.1:${port}/mcp-gate`;
  const deadline = Date.now() + NGINX_START_MS;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${base}/health`)).status < 500) {
        return {
          base,
          accessLog,
          async stop() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            await exited;
          },
        };
      }
    } catch { /* not listening yet */ }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`nginx did not answer within ${NGINX_START_MS} ms: ${readFileSync(join(dir, 'error.log'), 'utf8').slice(-500)}`);
}
