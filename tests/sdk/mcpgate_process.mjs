// Starts a mcpgate process on a free loopback port (--port 0 --port-file) and stops it again.
//
//   const server = await startMcpgate('/path/to/mcpgate', ['--backend', url]);
//   const again = await startMcpgate(binary, args, { port: 8123 });  // a given port instead
//   server.url   // "http://127.0.0.1:PORT"
//   server.log   // stdout and stderr chunks so far
//   await server.kill('SIGKILL');  // a signal, then waits for the exit; resolves {code, signal}
//   await server.stop();  // SIGTERM, SIGKILL after 5 s; removes its scratch folder

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const START_TIMEOUT_MS = 20000;

export async function startMcpgate(binary, args, { port = 0 } = {}) {
  const work = mkdtempSync(join(tmpdir(), 'mcpgate-tools-'));
  const portFile = join(work, 'port');
  const child = spawn(binary, ['--host', '127.0.0.1', '--port', String(port), '--port-file', portFile, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  child.stdout.on('data', (d) => log.push(d.toString()));
  child.stderr.on('data', (d) => log.push(d.toString()));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    let text = '';
    try { text = readFileSync(portFile, 'utf8'); } catch { /* not written yet */ }
    if (/^\d+\n$/.test(text)) {
      return {
        url: `http://127.0.0.1:${text.trim()}`,
        pid: child.pid,
        log,
        async kill(signal) {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
        async stop() {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
            await exited;
            clearTimeout(timer);
          }
          rmSync(work, { recursive: true, force: true });
        },
      };
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
  throw new Error(`mcpgate did not start within ${START_TIMEOUT_MS} ms:\n${log.join('')}`);
}

