// `mcpgate ingest URL…`: crawls of a generated documentation site on loopback (doc_site.hpp).
// What is indexed exactly, ranking, re-runs after edits and deletions, and a crawl killed
// mid-way then re-run ending identical to an uninterrupted one.
#include "../embedded/temp_dir.hpp"
#include "doc_site.hpp"
#include "mcpgate/backend/curl_global.hpp"
#include "mcpgate/backend/embedded_backend.hpp"
#include "mcpgate/knowledge/store.hpp"
#include "mcpgate/knowledge/web_ingest.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

extern char** environ;

using namespace mcpgate::knowledge;
using web_site_test::DocSite;
using web_site_test::Resource;

namespace {

std::string pdf_fixture() {
  std::ifstream in(std::string(MCPGATE_KNOWLEDGE_FIXTURES) + "/handbook.pdf", std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// The site (prefix /docs/): see each page's comment for what the crawl must do with it.
void build_site(DocSite& site) {
  const std::string b = site.base();
  site.put("/robots.txt", Resource{.content_type = "text/plain",
                                   .body = "User-agent: *\nDisallow: /docs/private/\n"
                                           "Sitemap: " + b + "/docs/sitemap-index.xml\n"});
  site.put("/docs/llms.txt", Resource{.content_type = "text/plain",
                                      .body = "# Widgets\n\n- [API reference](api/reference.md): every call\n"});
  site.put("/docs/sitemap-index.xml",
           Resource{.content_type = "application/xml",
                    .body = "<?xml version=\"1.0\"?><sitemapindex><sitemap><loc>" + b +
                            "/docs/sitemap-pages.xml</loc></sitemap></sitemapindex>"});
  site.put("/docs/sitemap-pages.xml",
           Resource{.content_type = "application/xml",
                    .body = "<urlset><url><loc>" + b + "/docs/guide/deep/orphan.html</loc></url></urlset>"});
  site.html("/docs/index.html", "Widgets",
            "<nav><a href=\"guide/intro.html\">Intro</a> <a href=\"guide/setup.html\">Setup</a></nav>"
            "<main><h1>Widgets</h1><p>Start here.</p>"
            "<a href=\"/blog/post.html\">blog (outside the prefix)</a> "
            "<a href=\"http://example.invalid/docs/x.html\">another site</a> "
            "<a href=\"private/secret.html\">private (robots.txt)</a> "
            "<a href=\"old.html\">moved (redirect in the site)</a> "
            "<a href=\"away.html\">away (redirect off the site)</a> "
            "<a href=\"sneaky.html\">sneaky (redirect into the disallowed section)</a> "
            "<a href=\"slow.html\">slow</a> <a href=\"broken.html\">broken</a> "
            "<a href=\"huge.html\">huge</a> <a href=\"logo.png\">logo</a> <a href=\"data.txt\">data</a> "
            "<a href=\"manual.pdf\">manual</a> <a href=\"latin1.html\">latin1</a> "
            "<a href=\"mystery.html\">mystery charset</a> <a href=\"missing.html\">missing</a> "
            "<a href=\"busy.html\">busy</a></main>");
  site.html("/docs/guide/intro.html", "Introduction",
            "<main><h1>Introduction</h1><p>The xylophonic widget hums.</p>"
            "<h2>Example</h2><pre><code class=\"language-cpp\">int main() { return 0; }</code></pre>"
            "<a href=\"../index.html\">home</a></main>");
  site.html("/docs/guide/setup.html", "Setup", "<main><h1>Setup</h1><p>Install the widget.</p></main>");
  site.html("/docs/guide/moved.html", "Moved", "<main><h1>Moved</h1><p>Relocated content.</p></main>");
  site.html("/docs/guide/deep/orphan.html", "Orphan", "<main><p>Only the sitemap lists this page.</p></main>");
  site.put("/docs/api/reference.md", Resource{.content_type = "text/markdown",
                                              .body = "# API\n\n## widget_spin\n\nSpins the widget.\n"});
  site.html("/docs/private/secret.html", "Secret", "<p>classified</p>");
  site.html("/blog/post.html", "Blog", "<p>blog</p>");
  site.put("/docs/old.html", Resource{.status = 301, .location = "guide/moved.html"});
  site.put("/docs/away.html", Resource{.status = 302, .location = "http://localhost:" + std::to_string(site.port()) + "/docs/index.html"});
  site.put("/docs/sneaky.html", Resource{.status = 302, .location = "private/secret.html"});
  // Far past the crawl's 2 s page timeout, however loaded the machine.
  site.put("/docs/slow.html", Resource{.body = "<p>slow</p>", .delay = std::chrono::milliseconds(8000)});
  site.put("/docs/broken.html", Resource{.status = 500, .body = "oops"});
  site.put("/docs/huge.html", Resource{.body = "<p>" + std::string(300000, 'x') + "</p>"});
  site.put("/docs/logo.png", Resource{.content_type = "image/png", .body = std::string("\x89PNG\r\n\x1a\n\0\0", 10)});
  site.put("/docs/data.txt", Resource{.content_type = "text/plain", .body = std::string("a\0b", 3)});
  site.put("/docs/manual.pdf", Resource{.content_type = "application/pdf", .body = pdf_fixture()});
  site.put("/docs/latin1.html",
           Resource{.content_type = "text/html",
                    .body = "<html><head><meta charset=\"iso-8859-1\"><title>Caf\xe9</title></head>"
                            "<body><p>Cr\xe8me br\xfbl\xe9" "e recipe.</p></body></html>"});
  site.put("/docs/mystery.html", Resource{.content_type = "text/html; charset=x-mystery", .body = "<p>?</p>"});
  site.put("/docs/busy.html", Resource{.body = "<main><p>Busy at first.</p></main>", .fail_first = 1});
}

WebIngestOptions crawl_options(const std::string& source) {
  WebIngestOptions options;
  options.source_id = source;
  options.fetch.timeout = std::chrono::milliseconds(2000);
  options.fetch.max_bytes = 100000;
  options.fetch.delay = std::chrono::milliseconds(0);
  options.fetch.max_retries = 1;
  options.batch_pages = 3;
  return options;
}

struct Store {
  embedded_test::TempDir dir;
  mcpgate::backend::EmbeddedBackend backend{dir.file("store.db")};
  KnowledgeStore store{backend.database()};
};

WebIngestStats crawl(KnowledgeStore& store, const std::string& start, const WebIngestOptions& options) {
  WebIngester ingester(store, options);
  const std::vector<std::string> starts{start};
  return ingester.run(starts);
}

std::set<std::string> indexed(KnowledgeStore& store, const std::string& source) {
  std::set<std::string> urls;
  for (const auto& entry : store.file_states(source)) urls.insert(entry.first);
  return urls;
}

// Everything a search can see of a source, without timestamps and row ids.
std::string dump(KnowledgeStore& store, const std::string& source) {
  std::string out;
  for (const auto& entry : store.file_states(source)) {
    out += entry.first + " " + entry.second.content_hash + " " + entry.second.etag + "\n";
    for (const std::string& link : entry.second.links) out += "  -> " + link + "\n";
  }
  // Pages sorted: list_pages follows the order files were written in, which the workers'
  // interleaving (and a kill) decides.
  std::set<std::string> pages;
  for (const PageSummary& page : store.list_pages(source, std::nullopt)) {
    const auto record = store.page_by_id(page.id);
    pages.insert(page.id + " " + page.url + " " + page.section_title + "\n" + (record ? record->full_content : ""));
  }
  for (const std::string& page : pages) out += page + "\n";
  return out;
}

}  // namespace

TEST_CASE("a crawl indexes exactly the site's documents under the prefix, politely") {
  const mcpgate::backend::CurlGlobal curl;
  DocSite site;
  build_site(site);
  Store s;
  const WebIngestStats stats = crawl(s.store, site.base() + "/docs/index.html", crawl_options("site"));
  const std::string d = site.base() + "/docs/";
  const std::set<std::string> expected{d + "index.html",          d + "guide/intro.html",
                                       d + "guide/setup.html",    d + "guide/moved.html",
                                       d + "guide/deep/orphan.html", d + "api/reference.md",
                                       d + "manual.pdf",          d + "latin1.html",
                                       d + "busy.html"};
  CHECK(indexed(s.store, "site") == expected);
  CHECK(stats.added == expected.size());
  CHECK(stats.disallowed == 1);
  CHECK(stats.failures.at("timeout") == 1);
  CHECK(stats.failures.at("HTTP 500") == 1);
  CHECK(stats.failures.at("HTTP 404") == 1);
  CHECK(stats.failures.at("over the size cap") == 1);
  CHECK(stats.failures.at("redirect not followed (off the site or disallowed)") == 2);
  CHECK(stats.skips.at("not a document: image/png") == 1);
  CHECK(stats.skips.at("binary content") == 1);
  CHECK(stats.skips.at("unsupported charset x-mystery") == 1);

  const auto requests = site.requests();
  for (const std::string& path : requests) {
    CHECK(path.rfind("/docs/private/", 0) == std::string::npos);  // robots.txt honoured
    CHECK(path.rfind("/blog/", 0) == std::string::npos);          // outside the prefix
  }
  CHECK(std::count(requests.begin(), requests.end(), "/docs/busy.html") == 2);  // 429, Retry-After, 200
  for (const std::string& agent : site.user_agents()) CHECK(agent.find("mcpgate/") == 0);

  // Converted text: Latin-1 decoded, the PDF a page per PDF page, code examples kept.
  const auto latin = s.store.page_by_url(d + "latin1.html");
  REQUIRE(latin);
  CHECK(latin->full_content.find("Cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e") != std::string::npos);
  CHECK(s.store.page_by_url(d + "manual.pdf#page-2"));
  const auto code = s.store.search_code_examples("main return", "site", 5);
  REQUIRE(!code.empty());
  CHECK(code[0].language == "cpp");
  CHECK(code[0].url.find(d + "guide/intro.html") == 0);
}

TEST_CASE("a unique word ranks its page first, and results carry the page URL") {
  const mcpgate::backend::CurlGlobal curl;
  DocSite site;
  build_site(site);
  Store s;
  (void)crawl(s.store, site.base() + "/docs/index.html", crawl_options("site"));
  const auto pages = s.store.search_pages("xylophonic", std::nullopt, 5);
  REQUIRE(!pages.empty());
  CHECK(pages[0].url == site.base() + "/docs/guide/intro.html");
  const auto pdf = s.store.search_pages("zanzibarite", std::nullopt, 5);
  REQUIRE(!pdf.empty());
  CHECK(pdf[0].url == site.base() + "/docs/manual.pdf#page-2");
  // What rag_search_knowledge_base answers with (POST /api/rag/query): the page URL to cite.
  const auto r = s.backend.request("POST", "/api/rag/query", {},
                                   mcpgate::backend::json{{"query", "xylophonic"}, {"return_mode", "pages"}},
                                   std::nullopt);
  REQUIRE(r.status == 200);
  REQUIRE(r.body_json);
  CHECK(r.body_json->at("results").at(0).at("url") == site.base() + "/docs/guide/intro.html");
}

TEST_CASE("a re-run updates the edited page, removes the deleted one, leaves the rest") {
  const mcpgate::backend::CurlGlobal curl;
  DocSite site;
  build_site(site);
  Store s;
  const WebIngestOptions options = crawl_options("site");
  (void)crawl(s.store, site.base() + "/docs/index.html", options);
  const std::string d = site.base() + "/docs/";
  site.edit("/docs/guide/setup.html", "<main><h1>Setup</h1><p>Install the quetzalcoatl edition.</p></main>");
  site.remove("/docs/guide/deep/orphan.html");
  site.put("/docs/sitemap-pages.xml", Resource{.content_type = "application/xml", .body = "<urlset></urlset>"});
  const int before = site.not_modified();
  const WebIngestStats again = crawl(s.store, site.base() + "/docs/index.html", options);
  // Conditional requests: every stored page asked with its validators (old.html, stored as
  // moved.html, is asked for without and found unchanged by its hash).
  CHECK(site.not_modified() - before == 6);
  CHECK(again.updated == 1);
  CHECK(again.removed == 1);
  CHECK(again.added == 0);
  CHECK(again.unchanged == 7);  // 304s, the PDF and the rest
  CHECK(!indexed(s.store, "site").contains(d + "guide/deep/orphan.html"));
  const auto hits = s.store.search_pages("quetzalcoatl", "site", 5);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].url == d + "guide/setup.html");
  // A page that fails transiently (5xx, timeout) on a re-run is kept.
  site.put("/docs/guide/intro.html", Resource{.status = 503, .body = "down"});
  const WebIngestStats down = crawl(s.store, site.base() + "/docs/index.html", options);
  CHECK(down.removed == 0);
  CHECK(indexed(s.store, "site").contains(d + "guide/intro.html"));
}

TEST_CASE("--max-pages, --max-depth, --include and --exclude bound the crawl") {
  const mcpgate::backend::CurlGlobal curl;
  DocSite site;
  build_site(site);
  Store s;
  WebIngestOptions options = crawl_options("bounded");
  options.max_depth = 0;
  (void)crawl(s.store, site.base() + "/docs/index.html", options);
  // Depth 0 is the start URL alone (llms.txt and sitemap entries are depth 1).
  CHECK(indexed(s.store, "bounded") == std::set<std::string>{site.base() + "/docs/index.html"});
  WebIngestOptions narrow = crawl_options("narrow");
  narrow.include = {"*/docs/guide/*", "*/docs/index.html"};
  narrow.exclude = {"*/setup.html"};
  (void)crawl(s.store, site.base() + "/docs/index.html", narrow);
  const std::string d = site.base() + "/docs/";
  // moved.html is reached only through old.html, which the patterns leave out.
  CHECK(indexed(s.store, "narrow") ==
        std::set<std::string>{d + "index.html", d + "guide/intro.html", d + "guide/deep/orphan.html"});
  WebIngestOptions few = crawl_options("few");
  few.max_pages = 3;
  const WebIngestStats stats = crawl(s.store, site.base() + "/docs/index.html", few);
  CHECK(stats.admitted == 3);
  CHECK(stats.over_limit > 0);
}

namespace {

// `mcpgate ingest URL --source NAME --data FILE …` as a child process, its stderr (a line per
// URL: not a terminal) read line by line.
class IngestProcess {
 public:
  explicit IngestProcess(const std::vector<std::string>& args) {
    const char* bin = std::getenv("MCPGATE_BIN");
    REQUIRE(bin != nullptr);
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    std::vector<std::string> argv{bin, "ingest"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> raw;
    for (std::string& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    const int rc = posix_spawn(&pid_, bin, &actions, nullptr, raw.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    REQUIRE(rc == 0);
    err_ = ::fdopen(pipe_fds[0], "r");
  }
  ~IngestProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      (void)wait();
    }
    if (err_ != nullptr) std::fclose(err_);
  }
  IngestProcess(const IngestProcess&) = delete;
  IngestProcess& operator=(const IngestProcess&) = delete;

  // The next line of stderr, or "" at its end.
  std::string line() {
    char buffer[4096];
    if (std::fgets(buffer, sizeof buffer, err_) == nullptr) return {};
    return buffer;
  }
  void kill() { ::kill(pid_, SIGKILL); }
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  FILE* err_ = nullptr;
};

// Forty pages in a chain of sections: enough for a kill to land mid-crawl.
void build_big_site(DocSite& site) {
  std::string index = "<main><h1>Book</h1>";
  for (int i = 0; i < 40; ++i) {
    const std::string name = "chapter" + std::to_string(i) + ".html";
    index += "<a href=\"" + name + "\">Chapter " + std::to_string(i) + "</a> ";
    site.html("/book/" + name, "Chapter " + std::to_string(i),
              "<main><h1>Chapter " + std::to_string(i) + "</h1><p>Word" + std::to_string(i) +
                  " appears here.</p><h2>More</h2><p>Details of chapter " + std::to_string(i) +
                  ".</p><a href=\"index.html\">up</a></main>");
  }
  site.html("/book/index.html", "Book", index + "</main>");
}

}  // namespace

TEST_CASE("a crawl killed mid-way, then re-run, ends identical to an uninterrupted crawl") {
  DocSite site;
  build_big_site(site);
  embedded_test::TempDir dir;
  const std::string start = site.base() + "/book/index.html";
  auto args = [&](const std::string& db) {
    return std::vector<std::string>{start, "--source", "book", "--data", dir.file(db).string(),
                                    "--delay", "0.05", "--per-host", "2", "--batch-pages", "3"};
  };
  {
    IngestProcess whole(args("whole.db"));
    while (!whole.line().empty()) {
    }
    const int status = whole.wait();
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
  }
  {
    IngestProcess killed(args("killed.db"));
    int added = 0;
    for (std::string line = killed.line(); !line.empty() && added < 8; line = killed.line())
      if (line.find(": added") != std::string::npos) ++added;
    REQUIRE(added == 8);
    killed.kill();
    const int status = killed.wait();
    REQUIRE(WIFSIGNALED(status));
  }
  {
    // The store as the kill left it: consistent, some pages in, not all.
    mcpgate::backend::EmbeddedBackend backend(dir.file("killed.db"));
    KnowledgeStore store(backend.database());
    const std::size_t partial = store.file_states("book").size();
    CHECK(partial > 0);
    CHECK(partial < 41);
  }
  {
    IngestProcess rerun(args("killed.db"));
    while (!rerun.line().empty()) {
    }
    const int status = rerun.wait();
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
  }
  mcpgate::backend::EmbeddedBackend whole_backend(dir.file("whole.db"));
  KnowledgeStore whole(whole_backend.database());
  mcpgate::backend::EmbeddedBackend killed_backend(dir.file("killed.db"));
  KnowledgeStore killed(killed_backend.database());
  CHECK(whole.file_states("book").size() == 41);
  CHECK(dump(killed, "book") == dump(whole, "book"));
}

TEST_CASE("a re-run with a wider scope follows the links of pages that answer 304") {
  const mcpgate::backend::CurlGlobal curl;
  DocSite site;
  build_site(site);
  Store s;
  WebIngestOptions narrow = crawl_options("site");
  narrow.exclude = {"*/guide/setup.html"};
  (void)crawl(s.store, site.base() + "/docs/index.html", narrow);
  const std::string setup = site.base() + "/docs/guide/setup.html";
  CHECK(!indexed(s.store, "site").contains(setup));
  // index.html answers 304 now; its stored links must still include setup.html.
  const WebIngestStats wide = crawl(s.store, site.base() + "/docs/index.html", crawl_options("site"));
  CHECK(wide.added == 1);
  CHECK(indexed(s.store, "site").contains(setup));
}
