// The tour of Archon's 16 tools on the embedded store, shared by the SDK suites: a tiny docs
// folder to ingest, then every tool used the way an assistant would (search the knowledge base,
// then a project with tasks, documents, versions and features, from creation to deletion). It
// takes any client with callTool(params, schema, options): the 1.x SDK's Client in a 2025
// session, or the v2 SDK's Client in the modern era.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, expect, expectEqual } from './harness.mjs';

const REQUEST_TIMEOUT_MS = 15000;
const opts = { timeout: REQUEST_TIMEOUT_MS };

// Every tool name call() was asked for, so that a suite can check the tour used all of them.
export const called = new Set();

// A tiny docs folder with words that appear nowhere else.
export function writeDocs(docs) {
  mkdirSync(join(docs, 'guide'), { recursive: true });
  writeFileSync(join(docs, 'guide', 'streams.md'), [
    '# Streams',
    '',
    'Every open stream gets a zephyrine heartbeat comment so that proxies keep it alive.',
    '',
    '## Reconnecting',
    '',
    'A client that lost its stream resumes with the Last-Event-ID header.',
    '',
    'The event loop waits like this:',
    '',
    '```c',
    'int ready = epoll_wait(quokkafd, events, 64, timeout_ms);',
    '```',
    '',
  ].join('\n'));
  writeFileSync(join(docs, 'install.md'), [
    '# Installing',
    '',
    'Run the installer, then start the server with a marmalade configuration file.',
    '',
  ].join('\n'));
}

export async function call(client, name, args) {
  called.add(name);
  const result = await client.callTool({ name, arguments: args }, undefined, opts);
  const text = (result?.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('');
  expectEqual(result?.structuredContent?.result, text, `${name}: structuredContent.result equals the text`);
  const payload = JSON.parse(text);
  return payload;
}

export async function ok(client, name, args) {
  const payload = await call(client, name, args);
  expect(payload.success === true, `${name} ${JSON.stringify(args)} success`, 'true', payload);
  return payload;
}

// The whole tour, on one client. `t` labels the checks; `era` is 'legacy' (a 2025 session) or
// 'modern' (2026-07-28, stateless): only session_info answers differently.
export async function tour(t, client, era = 'legacy') {
  const state = {};

  await check(`${t}: health_check reports the embedded store healthy`, async () => {
    const r = await ok(client, 'health_check', {});
    expectEqual(r.health?.api_service, true, 'health.api_service');
  });
  if (era === 'modern') {
    await check(`${t}: session_info says the request is stateless (2026-07-28)`, async () => {
      const r = await ok(client, 'session_info', {});
      expectEqual(r.session_management?.current_session, 'stateless', 'session_management.current_session');
      expectEqual(r.session_management?.protocol_version, '2026-07-28', 'session_management.protocol_version');
    });
  } else {
    await check(`${t}: session_info counts this session`, async () => {
      const r = await ok(client, 'session_info', {});
      const counts = r.session_management?.sessions_by_transport ?? {};
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      expect(total >= 1, 'sessions counted', '>= 1', counts);
    });
  }

  await check(`${t}: rag_get_available_sources lists the ingested source`, async () => {
    const r = await ok(client, 'rag_get_available_sources', {});
    const source = r.sources.find((s) => s.source_id === 'docs' || s.title === 'docs' || s.name === 'docs');
    expect(source !== undefined, 'the "docs" source', 'present', r.sources);
    state.sourceId = source.source_id;
  });
  await check(`${t}: rag_search_knowledge_base finds the page with a unique word`, async () => {
    const r = await ok(client, 'rag_search_knowledge_base', { query: 'zephyrine heartbeat' });
    expect(r.results.length >= 1, 'results', 'at least one', r);
    // Pages mode answers page summaries (as Archon does); the page is read with rag_read_full_page.
    expect(String(r.results[0].url).endsWith('guide/streams.md'), 'the first result', 'the streams page', r.results[0]);
    const chunks = await ok(client, 'rag_search_knowledge_base', { query: 'marmalade', return_mode: 'chunks', source_id: state.sourceId, match_count: 2 });
    expect(chunks.results.length >= 1 && JSON.stringify(chunks.results[0]).includes('marmalade'), 'chunk results', 'the install chunk', chunks);
    const none = await ok(client, 'rag_search_knowledge_base', { query: 'xylophonist' });
    expectEqual(none.results.length, 0, 'results for a word in no document');
  });
  await check(`${t}: rag_search_code_examples finds the fenced code block`, async () => {
    const r = await ok(client, 'rag_search_code_examples', { query: 'epoll_wait quokkafd' });
    expect(r.results.length >= 1 && JSON.stringify(r.results[0]).includes('quokkafd'), 'results[0]', 'the epoll example', r);
  });
  await check(`${t}: rag_list_pages_for_source and rag_read_full_page`, async () => {
    const list = await ok(client, 'rag_list_pages_for_source', { source_id: state.sourceId });
    expect(list.pages.length >= 2, 'pages', 'at least 2', list);
    const page = list.pages.find((p) => JSON.stringify(p).includes('Reconnecting')) ?? list.pages[0];
    const full = await ok(client, 'rag_read_full_page', { page_id: String(page.id) });
    expect(typeof full.page?.full_content === 'string' && full.page.full_content.length > 0, 'page.full_content', 'text', full);
    const byUrl = await ok(client, 'rag_read_full_page', { url: full.page.url });
    expectEqual(byUrl.page?.id, full.page.id, 'the same page by url');
  });

  await check(`${t}: manage_project create, find_projects, update`, async () => {
    const created = await ok(client, 'manage_project', { action: 'create', title: `Tour ${t}`, description: 'embedded e2e' });
    expect(typeof created.project_id === 'string' && created.project_id.length > 0, 'project_id', 'an id', created);
    state.projectId = created.project_id;
    const found = await ok(client, 'find_projects', { query: `Tour ${t}` });
    expect(found.projects.some((p) => p.id === state.projectId), 'find_projects', 'the new project', found);
    const one = await ok(client, 'find_projects', { project_id: state.projectId });
    expectEqual(one.project?.title, `Tour ${t}`, 'project.title');
    const updated = await ok(client, 'manage_project', { action: 'update', project_id: state.projectId, description: 'changed' });
    expectEqual(updated.project?.description, 'changed', 'updated project.description');
  });

  await check(`${t}: manage_task through todo → doing → review → done, find_tasks`, async () => {
    const created = await ok(client, 'manage_task', { action: 'create', project_id: state.projectId, title: 'Parse frames', status: 'doing', assignee: 'Coding Agent' });
    state.taskId = created.task_id;
    expectEqual(created.task?.status, 'doing', 'status on create');
    await ok(client, 'manage_task', { action: 'create', project_id: state.projectId, title: 'Write docs' });
    for (const status of ['review', 'done']) {
      const r = await ok(client, 'manage_task', { action: 'update', task_id: state.taskId, status });
      expectEqual(r.task?.status, status, `status after update to ${status}`);
    }
    const byProject = await ok(client, 'find_tasks', { filter_by: 'project', filter_value: state.projectId });
    expectEqual(byProject.total_count, 2, 'tasks in the project');
    const done = await ok(client, 'find_tasks', { filter_by: 'status', filter_value: 'done', project_id: state.projectId });
    expectEqual(done.tasks.map((x) => x.id), [state.taskId], 'done tasks');
    const mine = await ok(client, 'find_tasks', { filter_by: 'assignee', filter_value: 'coding agent', project_id: state.projectId });
    expectEqual(mine.tasks.map((x) => x.id), [state.taskId], 'tasks of Coding Agent');
    const one = await ok(client, 'find_tasks', { task_id: state.taskId });
    expectEqual(one.task?.title, 'Parse frames', 'task.title');
    const bad = await call(client, 'manage_task', { action: 'update', task_id: state.taskId, status: 'finished' });
    expectEqual(bad.success, false, 'an invalid status is refused');
    const missing = await call(client, 'find_tasks', { task_id: 'no-such-task' });
    expectEqual(missing.error?.type, 'not_found', 'unknown task');
    await ok(client, 'manage_task', { action: 'delete', task_id: state.taskId });
    const after = await ok(client, 'find_tasks', { filter_by: 'project', filter_value: state.projectId });
    expectEqual(after.total_count, 1, 'tasks left after archiving one');
  });

  await check(`${t}: manage_document create, update, find_documents, delete`, async () => {
    const created = await ok(client, 'manage_document', {
      action: 'create', project_id: state.projectId, title: 'Design', document_type: 'spec', content: { goal: 'fast' }, tags: ['core'],
    });
    state.documentId = created.document_id;
    expect(typeof state.documentId === 'string', 'document_id', 'an id', created);
    await ok(client, 'manage_document', { action: 'update', project_id: state.projectId, document_id: state.documentId, content: { goal: 'faster' } });
    const one = await ok(client, 'find_documents', { project_id: state.projectId, document_id: state.documentId });
    expectEqual(one.document?.content, { goal: 'faster' }, 'document content after update');
    const list = await ok(client, 'find_documents', { project_id: state.projectId, document_type: 'spec' });
    expect(list.documents.some((d) => d.id === state.documentId), 'find_documents', 'the document', list);
    await ok(client, 'manage_document', { action: 'delete', project_id: state.projectId, document_id: state.documentId });
    const gone = await call(client, 'find_documents', { project_id: state.projectId, document_id: state.documentId });
    expectEqual(gone.success, false, 'the deleted document is gone');
  });

  await check(`${t}: manage_version create twice, find_versions, restore`, async () => {
    const first = await ok(client, 'manage_version', { action: 'create', project_id: state.projectId, field_name: 'data', content: { stage: 'one' }, change_summary: 'first' });
    expect(first.version !== null, 'version', 'a version', first);
    await ok(client, 'manage_version', { action: 'create', project_id: state.projectId, field_name: 'data', content: { stage: 'two' } });
    const versions = await ok(client, 'find_versions', { project_id: state.projectId, field_name: 'data' });
    expect(versions.versions.length === 2, 'versions', '2', versions);
    const numbers = versions.versions.map((v) => v.version_number).sort();
    const one = await ok(client, 'find_versions', { project_id: state.projectId, field_name: 'data', version_number: numbers[0] });
    expect(JSON.stringify(one.version).includes('one'), 'version 1 content', 'stage one', one);
    await ok(client, 'manage_version', { action: 'restore', project_id: state.projectId, field_name: 'data', version_number: numbers[0] });
    const project = await ok(client, 'find_projects', { project_id: state.projectId });
    expectEqual(project.project?.data, { stage: 'one' }, 'project.data after restoring version 1');
  });

  await check(`${t}: get_project_features, then manage_project delete`, async () => {
    const features = await ok(client, 'get_project_features', { project_id: state.projectId });
    expect(Array.isArray(features.features), 'features', 'a list', features);
    await ok(client, 'manage_project', { action: 'delete', project_id: state.projectId });
    const gone = await call(client, 'find_projects', { project_id: state.projectId });
    expectEqual(gone.success, false, 'the deleted project is gone');
  });
}
