// A minimal check harness shared by the SDK tests: every check runs with a deadline and is
// reported on its own line; finish() prints the failures and the machine-readable last line
//
//   RESULT passed=N failed=M
//
// and exits 0 only when every check passed.

import { inspect, isDeepStrictEqual } from 'node:util';

export const STEP_TIMEOUT_MS = 20000;  // per check, whatever it does

let passed = 0;
let failed = 0;
const failures = [];
const notes = [];  // known issues of other software that showed up, with the evidence

export const show = (value) => inspect(value, { depth: 6, breakLength: Infinity, maxStringLength: 400 });

export class CheckFailed extends Error {}

export function expect(condition, what, expected, actual) {
  if (!condition)
    throw new CheckFailed(`${what}: expected ${expected}, got ${show(actual)}`);
}

export function expectEqual(actual, expected, what) {
  expect(Object.is(actual, expected) || show(actual) === show(expected), what, show(expected), actual);
}

// Structural equality: object key order does not matter.
export function expectDeepEqual(actual, expected, what) {
  expect(isDeepStrictEqual(actual, expected), what, show(expected), actual);
}

export function describeError(error) {
  if (error instanceof CheckFailed) return error.message;
  const parts = [`${error?.constructor?.name ?? typeof error}: ${error?.message ?? show(error)}`];
  if (error && typeof error === 'object') {
    if ('code' in error) parts.push(`code=${show(error.code)}`);
    if ('data' in error && error.data !== undefined) parts.push(`data=${show(error.data)}`);
  }
  return `unexpected error: ${parts.join(' ')}`;
}

export function withTimeout(promise, ms, label) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new CheckFailed(`${label}: expected to finish within ${ms} ms, got no result`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// Runs one check; returns whether it passed.
export async function check(name, body, timeoutMs = STEP_TIMEOUT_MS) {
  const started = Date.now();
  try {
    await withTimeout(Promise.resolve().then(body), timeoutMs, name);
    passed += 1;
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
    return true;
  } catch (error) {
    recordFailure(name, describeError(error), Date.now() - started);
    return false;
  }
}

export function recordFailure(name, message, elapsedMs) {
  failed += 1;
  failures.push(`${name}: ${message}`);
  const took = elapsedMs === undefined ? '' : ` (${elapsedMs} ms)`;
  console.log(`FAIL ${name}${took}\n     ${message}`);
}

export function skip(name, reason) {
  recordFailure(name, `not run (${reason})`);
}

export function note(text) {
  notes.push(text);
  console.log(`     note: ${text}`);
}

export function finish() {
  if (notes.length > 0) {
    console.log('\nknown issues of other software seen (not counted as failures):');
    for (const n of notes) console.log(`  - ${n}`);
  }
  if (failures.length > 0) {
    console.log('\nfailures:');
    for (const f of failures) console.log(`  - ${f}`);
  }
  console.log(`RESULT passed=${passed} failed=${failed}`);
  process.exit(failed === 0 ? 0 : 1);
}

// The test's `--name VALUE` options. Exits with 2 and the usage line when a required one is
// missing.
//   const arg = options('node x.mjs --binary PATH [--nginx PATH]', ['--binary']);
//   arg('--binary'), arg('--nginx') ?? '/usr/sbin/nginx'
export function options(usage, required = []) {
  const value = (name) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  if (required.some((name) => !value(name))) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  return value;
}
