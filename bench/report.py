#!/usr/bin/env python3
"""Turns bench/run.sh's JSON lines into its Markdown report: the machine and versions, the
targets of the benchmark with the ratios measured, and one table per workload. Every figure is
the median over the repetitions (each repetition ran on freshly started servers)."""

import argparse
import datetime
import json
import statistics
import sys
from collections import defaultdict


def load(path):
    runs = defaultdict(list)  # (workload, server, connections) -> [result, ...]
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            entry = json.loads(line)
            result = entry["result"]
            workload = result["workload"]
            # Modern calls run with two tools: health_check (the comparison) and session_info
            # (the same tool as the session calls, to compare the eras on mcpgate).
            if workload == "modern_calls" and result.get("tool", "health_check") != "health_check":
                workload = f"modern_calls:{result['tool']}"
            # The sessions workload calling health_check is the legacy workload (issue 17's
            # client pattern: 16 at a time over 24 connections, streams with keep-alive off).
            if workload == "sessions" and result.get("tool") == "health_check":
                workload = "legacy"
            # The store workload's calls run against a store (sqlite, postgresql); their label
            # names the measure ("find_tasks filter", ...).
            if workload == "calls" and entry["server"] in STORES:
                workload = f"store:{result.get('label', result.get('tool'))}"
            key = (workload, entry["server"], result.get("connections"))
            runs[key].append(result)
    return runs


STORES = ("sqlite", "postgresql")
STORE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def median(results, *path):
    values = []
    for r in results:
        v = r
        for p in path:
            v = v.get(p) if isinstance(v, dict) else None
        if isinstance(v, (int, float)):
            values.append(v)
    return statistics.median(values) if values else None


def fmt(value, digits=0, unit=""):
    if value is None:
        return "–"
    if digits == 0:
        return f"{value:,.0f}{unit}"
    return f"{value:,.{digits}f}{unit}"


def mb(value):
    return "–" if value is None else f"{value / 1e6:,.1f} MB"


def kb(value):
    return "–" if value is None else f"{value / 1e3:,.1f} KB"


def verdict(ok):
    if ok is None:
        return "not measured"
    return "met" if ok else "**missed**"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", required=True)
    parser.add_argument("--mode", required=True)
    parser.add_argument("--reps", type=int, required=True)
    parser.add_argument("--machine", default="")
    parser.add_argument("--versions", default="")
    parser.add_argument("--command", default="")
    parser.add_argument("--herd-delay-ms", type=float, default=2000)
    parser.add_argument("--load", default="", help="the machine's load (uptime) around the run")
    args = parser.parse_args()
    runs = load(args.results)

    def get(workload, server, connections=None):
        return runs.get((workload, server, connections), [])

    out = []
    w = out.append
    w(f"# mcpgate benchmarks, {datetime.date.today().isoformat()} ({args.mode} run)")
    w("")
    w(f"- Command: `{args.command}`")
    w(f"- Machine: {args.machine}")
    w(f"- Versions: {args.versions}")
    if args.load:
        w(f"- Load: {args.load}")
    w(f"- Each figure is the median of {args.reps} repetition(s); every repetition starts each "
      "server afresh, and the servers take turns going first. The load generator "
      "(`bench/loadgen`, one thread on epoll) runs on the same machine as the server.")
    if args.mode != "full":
        w("- **Quick run**: sizes far below the targets' (it checks that the harness works); "
          "the targets below are for `bench/run.sh full`.")
    w("")

    # ---------------------------------------------------------------- targets
    mg16, peer16, bare16 = get("calls", "mcpgate", 16), get("calls", "ts-sdk", 16), get("calls", "bare-httplib", 16)
    mg_rate, peer_rate, bare_rate = (median(x, "calls_per_second") for x in (mg16, peer16, bare16))
    mg_p99, peer_p99 = median(mg16, "p99_us"), median(peer16, "p99_us")
    ses_mg, ses_peer = get("sessions", "mcpgate"), get("sessions", "ts-sdk")
    herd_mg = get("herd", "mcpgate")

    rows = []
    if mg_rate and bare_rate:
        ratio = mg_rate / bare_rate
        rows.append(("calls, 16 connections: ≥ 70% of bare cpp-httplib", f"{ratio:.0%} ({fmt(mg_rate)} vs {fmt(bare_rate)} calls/s)", verdict(ratio >= 0.70)))
    if mg_rate and peer_rate:
        ratio = mg_rate / peer_rate
        rows.append(("calls, 16 connections: ≥ 3× the TypeScript SDK", f"{ratio:.1f}× ({fmt(mg_rate)} vs {fmt(peer_rate)} calls/s)", verdict(ratio >= 3)))
    if mg_p99 is not None and peer_p99 is not None:
        applies = peer_p99 > 10_000
        rows.append(("calls, 16 connections: p99 ≤ 2 ms where the peer's is above 10 ms",
                     f"{mg_p99 / 1000:.2f} ms vs the peer's {peer_p99 / 1000:.2f} ms",
                     verdict(mg_p99 <= 2000) if applies else ("met" if mg_p99 <= 2000 else "n/a (peer ≤ 10 ms)")))
    mod_mg, mod_peer = get("modern_calls", "mcpgate", 16), get("modern_calls", "ts-sdk-v2", 16)
    mod_mg_rate, mod_peer_rate = median(mod_mg, "calls_per_second"), median(mod_peer, "calls_per_second")
    if mod_mg_rate and mod_peer_rate:
        ratio = mod_mg_rate / mod_peer_rate
        rows.append(("modern calls (2026-07-28), 16 connections: ≥ 3× the TypeScript SDK v2",
                     f"{ratio:.1f}× ({fmt(mod_mg_rate)} vs {fmt(mod_peer_rate)} calls/s; p99 "
                     f"{median(mod_mg, 'p99_us') / 1000:.2f} ms vs {median(mod_peer, 'p99_us') / 1000:.2f} ms)",
                     verdict(ratio >= 3)))
    if ses_mg:
        n = ses_mg[0]["sessions"]
        called = median(ses_mg, "called")
        rows.append((f"sessions: {n:,} legacy-SSE sessions, every one answering its call",
                     f"{fmt(called)} of {n:,} answered, {fmt(median(ses_mg, 'errors'))} errors",
                     verdict(called == n and median(ses_mg, "errors") == 0)))
        mg_open, peer_open = median(ses_mg, "opens_per_second"), median(ses_peer, "opens_per_second")
        if mg_open and peer_open:
            ratio = mg_open / peer_open
            rows.append(("sessions: opened ≥ 3× faster than the peer",
                         f"{ratio:.1f}× ({fmt(mg_open)} vs {fmt(peer_open)} sessions/s; load generator at "
                         f"{fmt(median(ses_mg, 'loadgen_cpu_percent_open'))}% of a core)", verdict(ratio >= 3)))
        mg_rss, peer_rss = median(ses_mg, "rss_per_idle_session_bytes"), median(ses_peer, "rss_per_idle_session_bytes")
        if mg_rss is not None and peer_rss is not None:
            rows.append(("sessions: RSS per idle session ≤ the peer's", f"{kb(mg_rss)} vs {kb(peer_rss)}", verdict(mg_rss <= peer_rss)))
        after = median(ses_mg, "server_sessions_after")
        rows.append(("sessions: the session count back to 0 after they close", fmt(after), verdict(after == 0)))
    leg_mg, leg_peer = get("legacy", "mcpgate"), get("legacy", "ts-sdk")
    if leg_mg and leg_peer:
        n = leg_mg[0]["sessions"]
        mg_rss, peer_rss = median(leg_mg, "rss_per_idle_session_bytes"), median(leg_peer, "rss_per_idle_session_bytes")
        if mg_rss is not None and peer_rss is not None:
            rows.append((f"legacy: {n:,} sessions that each made a call, RSS per session ≤ the peer's",
                         f"{kb(mg_rss)} vs {kb(peer_rss)}", verdict(mg_rss <= peer_rss)))
        mg_posts, peer_posts = median(leg_mg, "posts_per_second"), median(leg_peer, "posts_per_second")
        if mg_posts and peer_posts:
            ratio = mg_posts / peer_posts
            rows.append(("legacy: calls phase ≥ 3× the peer's POSTs/s",
                         f"{ratio:.1f}× ({fmt(mg_posts)} vs {fmt(peer_posts)} POSTs/s)", verdict(ratio >= 3)))
        mg_p99, peer_p99 = median(leg_mg, "call_p99_us"), median(leg_peer, "call_p99_us")
        if mg_p99 is not None and peer_p99 is not None:
            rows.append(("legacy: call p99 below the peer's", f"{mg_p99 / 1000:.2f} ms vs {peer_p99 / 1000:.2f} ms",
                         verdict(mg_p99 < peer_p99)))
    if herd_mg:
        clients = herd_mg[0]["clients"]
        runs_init = median(herd_mg, "init_runs")
        served = median(herd_mg, "served")
        last = median(herd_mg, "all_served_ms")
        rows.append(("herd: initialisation ran once", fmt(runs_init), verdict(runs_init == 1)))
        rows.append((f"herd: 100% of {clients:,} clients served", f"{fmt(served)} served", verdict(served == clients)))
        bound = args.herd_delay_ms + 250
        rows.append((f"herd: all served within init time + 250 ms ({bound:,.0f} ms)", f"{fmt(last)} ms", verdict(last is not None and last <= bound)))
    # The floor of the added latency is what cpp-httplib and libcurl alone cost to forward the same
    # call on this machine at the same concurrency (bench/servers/bare_proxy: no JSON parsing, no
    # sessions, no tools); the rest is mcpgate's own, and its CPU time per call says what it
    # spends. When the floor itself is above the target, no server on this stack can meet it here.
    for callers in (1, 8):
        fw = get("forward", "mcpgate", callers)
        if fw:
            added = median(fw, "added_p50_us")
            measured = f"{fmt(added)} µs"
            notes = []
            floor = median(get("forward", "bare-proxy", callers), "added_p50_us")
            if floor is not None and added is not None:
                notes.append(f"the floor, bare cpp-httplib + libcurl forwarding: {fmt(floor)} µs; "
                             f"mcpgate's own share {fmt(added - floor)} µs")
            cpu = median(fw, "via", "server_cpu_us_per_call")
            floor_cpu = median(get("forward", "bare-proxy", callers), "via", "server_cpu_us_per_call")
            if cpu is not None:
                notes.append(f"CPU time per call {fmt(cpu)} µs" +
                             (f" vs the floor's {fmt(floor_cpu)} µs" if floor_cpu is not None else ""))
            if notes:
                measured += " (" + "; ".join(notes) + ")"
            result = verdict(added is not None and added <= 150)
            if added is not None and added > 150 and floor is not None and floor > 150:
                result += ": the floor of this stack is above the target on this machine"
            rows.append((f"forward, {callers} caller(s): added p50 ≤ 150 µs", measured, result))
            conns = median(fw, "backend_connections_opened")
            rows.append((f"forward, {callers} caller(s): backend connections ≤ callers", fmt(conns), verdict(conns is not None and conns <= callers)))

    if rows:
        w("## Targets")
        w("")
        w("| target | measured | |")
        w("|---|---|---|")
        for target, measured, result in rows:
            w(f"| {target} | {measured} | {result} |")
        w("")

    servers = ("mcpgate", "ts-sdk")
    # ---------------------------------------------------------------- sessions
    if any(get("sessions", server) for server in servers):
        sessions_table(w, get, servers)
    if any(get("legacy", server) for server in servers):
        legacy_table(w, get, servers)
    if any(get("calls", server, c) for server in ("mcpgate", "bare-httplib", "ts-sdk") for c in (1, 8, 16)):
        calls_table(w, get)
    if any(get("modern_calls", server, c) for server in ("mcpgate", "ts-sdk-v2") for c in (1, 16)):
        modern_table(w, get)
    if any(get("herd", server) for server in servers):
        herd_table(w, get, servers, args.herd_delay_ms)
    if any(get("forward", server, c) for server in servers + ("bare-proxy",) for c in (1, 8)):
        forward_table(w, get, servers)
    if get("crawl", "mcpgate"):
        crawl_table(w, get)
    if any(k[1] in STORES for k in runs):
        store_tables(w, get)
    sys.stdout.write("\n".join(out))


def sessions_table(w, get, servers):
    w("## sessions: N legacy HTTP+SSE sessions at once, each initialises and calls `session_info`")
    w("")
    w("| server | sessions | answered | errors | all endpoints in | sessions/s | load generator CPU | call p50 | call p99 | RSS before | RSS, all open | per idle session | open after close | drained in |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for server in servers:
        r = get("sessions", server)
        if not r:
            continue
        w(f"| {server} | {r[0]['sessions']:,} | {fmt(median(r, 'called'))} | {fmt(median(r, 'errors'))} | "
          f"{fmt(median(r, 'open_seconds'), 2, ' s')} | {fmt(median(r, 'opens_per_second'))} | "
          f"{fmt(median(r, 'loadgen_cpu_percent_open'))}% | {fmt(median(r, 'call_p50_us'), 0, ' µs')} | "
          f"{fmt(median(r, 'call_p99_us'), 0, ' µs')} | {mb(median(r, 'rss_before_bytes'))} | "
          f"{mb(median(r, 'rss_open_bytes'))} | {kb(median(r, 'rss_per_idle_session_bytes'))} | "
          f"{fmt(median(r, 'server_sessions_after'))} | {fmt(median(r, 'drain_seconds'), 2, ' s')} |")
    w("")


def legacy_table(w, get, servers):
    w("## legacy: N legacy HTTP+SSE sessions that each make a call (`health_check`)")
    w("")
    w("Each stream's `GET /sse` on its own connection (keep-alive off); then per session "
      "`initialize`, `notifications/initialized` and `tools/call`, POSTed over one pool of 24 "
      "keep-alive connections with 16 sessions at a time. RSS per session is over the RSS "
      "before the first stream opened.")
    w("")
    w("| server | sessions | answered | errors | RSS per session, streams open | after the calls | POSTs/s | call p50 | call p99 | server CPU per POST | load generator CPU |")
    w("|---|---|---|---|---|---|---|---|---|---|---|")
    for server in servers:
        r = get("legacy", server)
        if not r:
            continue
        w(f"| {server} | {r[0]['sessions']:,} | {fmt(median(r, 'called'))} | {fmt(median(r, 'errors'))} | "
          f"{kb(median(r, 'rss_per_stream_bytes'))} | {kb(median(r, 'rss_per_idle_session_bytes'))} | "
          f"{fmt(median(r, 'posts_per_second'))} | {fmt(median(r, 'call_p50_us'), 0, ' µs')} | "
          f"{fmt(median(r, 'call_p99_us'), 0, ' µs')} | "
          f"{fmt(median(r, 'server_cpu_us_per_post'), 1, ' µs')} | "
          f"{fmt(median(r, 'loadgen_cpu_percent_calls'))}% |")
    w("")


def calls_table(w, get):
    w("## calls: one Streamable HTTP session, C connections calling `session_info` in a closed loop")
    w("")
    w("| server | connections | calls/s | p50 | p99 | errors | server CPU per call | load generator CPU |")
    w("|---|---|---|---|---|---|---|---|")
    for connections in (1, 8, 16):
        for server in ("mcpgate", "bare-httplib", "ts-sdk"):
            r = get("calls", server, connections)
            if not r:
                continue
            w(f"| {server} | {connections} | {fmt(median(r, 'calls_per_second'))} | "
              f"{fmt(median(r, 'p50_us'), 0, ' µs')} | {fmt(median(r, 'p99_us'), 0, ' µs')} | "
              f"{fmt(median(r, 'errors'))} | {fmt(median(r, 'server_cpu_us_per_call'), 1, ' µs')} | "
              f"{fmt(median(r, 'loadgen_cpu_percent'))}% |")
    w("")


def modern_table(w, get):
    w("## modern calls: stateless MCP 2026-07-28, C connections calling a tool in a closed loop")
    w("")
    w("No session: every call carries its version and capabilities in `params._meta` and the "
      "`MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers. The peer is the TypeScript "
      "SDK v2's `createMcpHandler` (a fresh server per request) on node's http. `health_check` "
      "is the comparison (mcpgate's reads the embedded store's schema version; the peer's has "
      "no backend to ask); `session_info` is the tool of the session calls above, to compare "
      "the eras on mcpgate.")
    w("")
    w("| server | tool | connections | calls/s | p50 | p99 | errors | server CPU per call | load generator CPU |")
    w("|---|---|---|---|---|---|---|---|---|")
    for workload, tool in (("modern_calls", "health_check"), ("modern_calls:session_info", "session_info")):
        for connections in (1, 16):
            for server in ("mcpgate", "ts-sdk-v2"):
                r = get(workload, server, connections)
                if not r:
                    continue
                w(f"| {server} | {tool} | {connections} | {fmt(median(r, 'calls_per_second'))} | "
                  f"{fmt(median(r, 'p50_us'), 0, ' µs')} | {fmt(median(r, 'p99_us'), 0, ' µs')} | "
                  f"{fmt(median(r, 'errors'))} | {fmt(median(r, 'server_cpu_us_per_call'), 1, ' µs')} | "
                  f"{fmt(median(r, 'loadgen_cpu_percent'))}% |")
    w("")


def herd_table(w, get, servers, herd_delay_ms):
    w(f"## herd: N first clients while start-up (a backend health probe) takes {herd_delay_ms:,.0f} ms")
    w("")
    w("| server | clients | served | errors | first served | median | last served | init runs |")
    w("|---|---|---|---|---|---|---|---|")
    for server in servers:
        r = get("herd", server)
        if not r:
            continue
        w(f"| {server} | {r[0]['clients']:,} | {fmt(median(r, 'served'))} | {fmt(median(r, 'errors'))} | "
          f"{fmt(median(r, 'first_served_ms'), 0, ' ms')} | {fmt(median(r, 'p50_served_ms'), 0, ' ms')} | "
          f"{fmt(median(r, 'all_served_ms'), 0, ' ms')} | {fmt(median(r, 'init_runs'))} |")
    w("")


def forward_table(w, get, servers):
    w("## forward: `find_projects` through the server vs. the same backend request made directly")
    w("")
    w("| server | callers | direct p50 | direct p99 | through the server p50 | p99 | added p50 | added p99 | calls/s | server CPU per call | backend CPU per request | backend connections opened | errors |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for callers in (1, 8):
        for server in servers + ("bare-proxy",):
            r = get("forward", server, callers)
            if not r:
                continue
            w(f"| {server} | {callers} | {fmt(median(r, 'direct', 'p50_us'), 0, ' µs')} | "
              f"{fmt(median(r, 'direct', 'p99_us'), 0, ' µs')} | {fmt(median(r, 'via', 'p50_us'), 0, ' µs')} | "
              f"{fmt(median(r, 'via', 'p99_us'), 0, ' µs')} | {fmt(median(r, 'added_p50_us'), 0, ' µs')} | "
              f"{fmt(median(r, 'added_p99_us'), 0, ' µs')} | {fmt(median(r, 'via', 'calls_per_second'))} | "
              f"{fmt(median(r, 'via', 'server_cpu_us_per_call'), 1, ' µs')} | "
              f"{fmt(median(r, 'direct', 'server_cpu_us_per_call'), 1, ' µs')} | "
              f"{fmt(median(r, 'backend_connections_opened'))} | {fmt(median(r, 'errors'))} |")
    w("")


def crawl_table(w, get):
    r = get("crawl", "mcpgate")
    if r:
        w("## crawl: `mcpgate ingest URL` over a generated documentation site on loopback")
        w("")
        w("| pages in the site | URLs fetched | seconds | pages/s | crawler peak RSS | errors |")
        w("|---|---|---|---|---|---|")
        w(f"| {r[0]['pages']:,} | {fmt(median(r, 'urls'))} | {fmt(median(r, 'seconds'), 1)} | "
          f"{fmt(median(r, 'pages_per_second'), 1)} | {mb(None if median(r, 'peak_rss_kb') is None else median(r, 'peak_rss_kb') * 1024)} | "
          f"{fmt(median(r, 'errors'))} |")
        w("")


def store_tables(w, get):
    """The store workload: the same seeded data and calls on the embedded store over SQLite and
    over PostgreSQL (issue 16)."""
    def ms(value):
        return "–" if value is None else f"{value / 1000:,.2f} ms"

    def both(measure, connections, render):
        cells = []
        for store in STORES:
            r = get(f"store:{measure}", store, connections)
            cells.append(render(r) if r else "–")
        return cells

    def ratio(measure, connections, key, higher_is_better):
        values = [median(get(f"store:{measure}", store, connections), key) for store in STORES]
        if not all(values):
            return "–"
        factor = values[1] / values[0]
        return f"{factor:.1f}×" + (" the calls/s" if higher_is_better else " the time")

    def latency(r):
        return f"{ms(median(r, 'p50_us'))} / {ms(median(r, 'p99_us'))}"

    def rate(r):
        return f"{fmt(median(r, 'calls_per_second'))} calls/s"

    def rate_p99(r):
        return f"{fmt(median(r, 'calls_per_second'))} calls/s, p99 {ms(median(r, 'p99_us'))}"

    seeds = {store: get("seed", store, 16) for store in STORES}
    any_seed = next((r for r in seeds.values() if r), None)
    tasks = any_seed[0]["tasks"] if any_seed else 0
    projects = any_seed[0]["projects"] if any_seed else 0
    ingests = {store: get("store_ingest", store) for store in STORES}
    any_ingest = next((r for r in ingests.values() if r), None)
    kb_pages = any_ingest[0]["pages"] if any_ingest else 0

    w("## Store: SQLite vs PostgreSQL")
    w("")
    w(f"The embedded store (no backend URL) on a SQLite file and on a throwaway PostgreSQL 15 on "
      f"the same host (a unix socket; `--data postgresql://…`), each seeded through the server's "
      f"own tools with {tasks:,} tasks over {projects:,} projects and a knowledge base of "
      f"{kb_pages:,} generated Markdown pages (`mcpgate ingest`). One Streamable HTTP session, "
      "C keep-alive connections calling in a closed loop. find_tasks *filter*: status `todo` in "
      "one project (per_page 50); *query*: a keyword in about 1 task in 50 (per_page 50); "
      "rag_search_knowledge_base: two words, match_count 5, pages mode; manage_task create runs "
      "last (it grows the task table).")
    for skipped in get("store_skipped", "postgresql")[:1]:
        w("")
        w(f"**PostgreSQL not measured**: {skipped.get('reason', '?')}.")
    w("")
    w("| measure | SQLite | PostgreSQL | PostgreSQL vs SQLite |")
    w("|---|---|---|---|")
    rows = (
        ("find_tasks filter, 1 connection: p50 / p99", "find_tasks filter", 1, latency, "p50_us", False),
        ("find_tasks filter, 16 connections", "find_tasks filter", 16, rate_p99, "calls_per_second", True),
        ("find_tasks query, 1 connection: p50 / p99", "find_tasks query", 1, latency, "p50_us", False),
        ("find_tasks query, 16 connections", "find_tasks query", 16, rate_p99, "calls_per_second", True),
        ("rag_search_knowledge_base, 1 connection: p50 / p99", "rag_search", 1, latency, "p50_us", False),
        ("rag_search_knowledge_base, 16 connections", "rag_search", 16, rate_p99, "calls_per_second", True),
        ("manage_task create, 16 connections", "manage_task create", 16, rate_p99, "calls_per_second", True),
    )
    for title, measure, connections, render, key, higher in rows:
        sqlite_cell, pg_cell = both(measure, connections, render)
        w(f"| {title} | {sqlite_cell} | {pg_cell} | {ratio(measure, connections, key, higher)} |")
    seed_cells = [f"{fmt(median(seeds[s], 'tasks_per_second'))} tasks/s" if seeds[s] else "–" for s in STORES]
    w(f"| seeding: manage_task create, {tasks:,} tasks over 16 connections | {seed_cells[0]} | {seed_cells[1]} | |")
    ingest_cells = [f"{fmt(median(ingests[s], 'seconds'), 1)} s" if ingests[s] else "–" for s in STORES]
    w(f"| `mcpgate ingest` of {kb_pages:,} pages | {ingest_cells[0]} | {ingest_cells[1]} | |")
    w("")
    w("Every run in detail. Server CPU is mcpgate's; database CPU is PostgreSQL's postmaster and "
      "its backends (for SQLite the database work is inside mcpgate's figure).")
    w("")
    w("| measure | store | connections | calls/s | p50 | p99 | errors | server CPU per call | database CPU per call |")
    w("|---|---|---|---|---|---|---|---|---|")
    for _, measure, connections, _, _, _ in rows:
        for store in STORES:
            r = get(f"store:{measure}", store, connections)
            if not r:
                continue
            w(f"| {measure} | {STORE_NAMES[store]} | {connections} | {fmt(median(r, 'calls_per_second'))} | "
              f"{fmt(median(r, 'p50_us'), 0, ' µs')} | {fmt(median(r, 'p99_us'), 0, ' µs')} | "
              f"{fmt(median(r, 'errors'))} | {fmt(median(r, 'server_cpu_us_per_call'), 1, ' µs')} | "
              f"{fmt(median(r, 'database_cpu_us_per_call'), 1, ' µs')} |")
    w("")


if __name__ == "__main__":
    main()
