// The web crawl's pure parts: URLs and scope, robots.txt, llms.txt and sitemaps, HTML to
// Markdown, charsets, PDF text.
#include "knowledge_fixture.hpp"
#include "mcpgate/knowledge/html_text.hpp"
#include "mcpgate/knowledge/pdf_text.hpp"
#include "mcpgate/knowledge/robots.hpp"
#include "mcpgate/knowledge/splitter.hpp"
#include "mcpgate/knowledge/web_discovery.hpp"
#include "mcpgate/knowledge/web_url.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

using namespace mcpgate::knowledge;

namespace {

WebUrl web_url_of(const std::string& text) {
  auto url = parse_url(text);
  REQUIRE(url.has_value());
  return *url;
}

std::string resolved(const std::string& base, const std::string& reference) {
  const auto url = resolve_url(web_url_of(base), reference);
  return url ? url->text() : "none";
}

std::string read_fixture(const std::string& name) {
  std::ifstream in(std::string(MCPGATE_KNOWLEDGE_FIXTURES) + "/" + name, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace

TEST_CASE("web URLs are normalised and resolved as a browser would") {
  CHECK(web_url_of("HTTPS://Docs.Example.COM:443/a/./b/../c?x=1#frag").text() ==
        "https://docs.example.com/a/c?x=1");
  CHECK(web_url_of("http://h:80").text() == "http://h/");
  CHECK(!parse_url("ftp://h/x"));
  CHECK(!parse_url("http://user:pw@h/x"));
  CHECK(resolved("http://h/docs/guide/intro.html", "../api/") == "http://h/docs/api/");
  CHECK(resolved("http://h/docs/guide/intro.html", "setup.html#install") == "http://h/docs/guide/setup.html");
  CHECK(resolved("http://h/docs/a.html", "/root") == "http://h/root");
  CHECK(resolved("http://h/docs/a.html", "//other.org/x") == "http://other.org/x");
  CHECK(resolved("http://h/docs/a.html", "?page=2") == "http://h/docs/a.html?page=2");
  CHECK(resolved("http://h/docs/a.html", "mailto:me@h") == "none");
  CHECK(resolved("http://h/docs/a.html", "javascript:void(0)") == "none");
  CHECK(resolved("http://h/docs/a.html", "with space.html") == "http://h/docs/with%20space.html");
}

TEST_CASE("the crawl scope is the start URLs' sites and folders, narrowed by globs") {
  const CrawlScope scope({web_url_of("http://h/docs/index.html")}, {}, {"*/docs/private/*"});
  CHECK(scope.wanted(web_url_of("http://h/docs/guide/a.html")));
  CHECK(!scope.wanted(web_url_of("http://h/blog/a.html")));
  CHECK(!scope.wanted(web_url_of("http://other/docs/a.html")));
  CHECK(!scope.wanted(web_url_of("http://h/docs/private/x.html")));
  CHECK(scope.same_site(web_url_of("http://h/blog/a.html")));
  const CrawlScope only({web_url_of("http://h/docs/")}, {"*/v2/*"}, {});
  CHECK(only.wanted(web_url_of("http://h/docs/v2/a")));
  CHECK(!only.wanted(web_url_of("http://h/docs/v1/a")));
  CHECK(glob_match("a*b*c", "axxbyyc"));
  CHECK(!glob_match("a*b*c", "axxbyy"));
}

TEST_CASE("robots.txt: mcpgate's own group, else '*'; the longest rule wins") {
  const auto star = RobotsRules::parse(
      "User-agent: *\nDisallow: /docs/private/\nAllow: /docs/private/ok.html\n"
      "Sitemap: http://h/sm.xml\n", "mcpgate");
  CHECK(!star.allowed("/docs/private/x.html"));
  CHECK(star.allowed("/docs/private/ok.html"));
  CHECK(star.allowed("/docs/public.html"));
  REQUIRE(star.sitemaps().size() == 1);
  const auto mine = RobotsRules::parse(
      "User-agent: *\nDisallow: /\n\nUser-agent: mcpgate\nDisallow: /secret\nCrawl-delay: 2\n", "mcpgate");
  CHECK(mine.allowed("/docs/a"));
  CHECK(!mine.allowed("/secret/b"));
  CHECK(mine.crawl_delay_seconds() == doctest::Approx(2.0));
  const auto anchored = RobotsRules::parse("User-agent: *\nDisallow: /*.pdf$\n", "mcpgate");
  CHECK(!anchored.allowed("/a/b.pdf"));
  CHECK(anchored.allowed("/a/b.pdf.html"));
  CHECK(!RobotsRules::disallow_all().allowed("/x"));
}

TEST_CASE("llms.txt links and sitemap locations") {
  const WebUrl base = web_url_of("http://h/docs/llms.txt");
  const auto links = markdown_links("# Docs\n- [Intro](intro.html): start\n- [API](/docs/api.md)\n<http://h/x>\n", base);
  REQUIRE(links.size() == 3);
  CHECK(links[0].text() == "http://h/docs/intro.html");
  CHECK(links[1].text() == "http://h/docs/api.md");
  const auto index = parse_sitemap("<sitemapindex><sitemap><loc>http://h/a.xml</loc></sitemap></sitemapindex>", base);
  CHECK(index.is_index);
  const auto set = parse_sitemap("<urlset><url><loc>http://h/docs/a?x=1&amp;y=2</loc></url></urlset>", base);
  CHECK(!set.is_index);
  REQUIRE(set.locations.size() == 1);
  CHECK(set.locations[0].text() == "http://h/docs/a?x=1&y=2");
}

TEST_CASE("HTML becomes Markdown: headings, lists, tables, links, code; navigation dropped") {
  const std::string html = R"(<!doctype html><html><head><title>Widget guide</title>
<style>body{}</style><script>var x = "scriptword";</script></head><body>
<header>Site header navword</header><nav><a href="/docs/other.html">Other</a></nav>
<main><h1>Widgets</h1><p>Widgets are   <b>small</b>.<br>New line.</p>
<h2>Install</h2><ul><li>first<ul><li>nested</li></ul></li><li>second</li></ul>
<ol><li>one</li><li>two</li></ol>
<table><thead><tr><th>Flag</th><th>Meaning</th></tr></thead>
<tbody><tr><td>--x</td><td>a | b</td></tr></tbody></table>
<p>See <a href="api.html">the API</a> and <code>widget()</code>.</p>
<pre><code class="language-python">def f():
    return 1
</code></pre></main>
<footer>Copyright footerword</footer></body></html>)";
  const HtmlPage page = html_to_markdown(html, web_url_of("http://h/docs/guide.html"));
  CHECK(page.title == "Widget guide");
  const std::string& md = page.markdown;
  CAPTURE(md);
  CHECK(md.find("# Widgets\n") != std::string::npos);
  CHECK(md.find("## Install\n") != std::string::npos);
  CHECK(md.find("Widgets are small.\nNew line.") != std::string::npos);
  CHECK(md.find("- first\n  - nested\n- second") != std::string::npos);
  CHECK(md.find("1. one\n2. two") != std::string::npos);
  CHECK(md.find("| Flag | Meaning |\n| --- | --- |\n| --x | a \\| b |") != std::string::npos);
  CHECK(md.find("[the API](http://h/docs/api.html)") != std::string::npos);
  CHECK(md.find("`widget()`") != std::string::npos);
  CHECK(md.find("```python\ndef f():\n    return 1\n```") != std::string::npos);
  for (const char* gone : {"scriptword", "navword", "footerword", "body{}"}) CHECK(md.find(gone) == std::string::npos);
  // Links for the crawl come from the whole page, navigation included.
  bool nav_link = false;
  for (const WebUrl& link : page.links) nav_link = nav_link || link.text() == "http://h/docs/other.html";
  CHECK(nav_link);
  // Split exactly as local Markdown: the code block is a code example with its language.
  const SplitDocument split = split_markdown(md, page.title);
  REQUIRE(split.pages.size() == 2);
  CHECK(split.pages[1].section_title == "## Install");
  REQUIRE(split.code_examples.size() == 1);
  CHECK(split.code_examples[0].language == "python");
}

TEST_CASE("HTML nested beyond the depth limit is refused before parsing") {
  std::string html;
  for (std::size_t i = 0; i < max_html_depth + 10; ++i) html += "<div>";
  CHECK(html_to_markdown(html, web_url_of("http://h/")).too_deep);
}

TEST_CASE("HTML of more than max_html_elements elements is refused before parsing") {
  std::string html;
  for (std::size_t i = 0; i <= max_html_elements; ++i) html += "<b>x</b>";
  const HtmlPage page = html_to_markdown(html, web_url_of("http://h/"));
  CHECK(page.too_many_elements);
  CHECK(page.markdown.empty());
}

TEST_CASE("a page keeps at most max_links_per_page links") {
  std::string html = "<body>";
  for (std::size_t i = 0; i < max_links_per_page + 100; ++i) html += "<a href=\"p" + std::to_string(i) + "\">x</a>";
  CHECK(html_to_markdown(html, web_url_of("http://h/")).links.size() == max_links_per_page);
}

TEST_CASE("charsets: declared by header or meta, converted to UTF-8, unknown ones refused") {
  CHECK(declared_charset("text/html; charset=ISO-8859-1", "", true) == "iso-8859-1");
  CHECK(declared_charset("text/html", "<html><head><meta charset=\"windows-1252\">", true) == "windows-1252");
  CHECK(declared_charset("text/html", "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\">", true) == "koi8-r");
  CHECK(declared_charset("text/html", "", true).empty());
  const DecodedText latin = decode_to_utf8("caf\xe9", "iso-8859-1");
  REQUIRE(latin.text);
  CHECK(*latin.text == "caf\xc3\xa9");
  const DecodedText unknown = decode_to_utf8("x", "x-no-such-charset");
  CHECK(!unknown.text);
  CHECK(unknown.refused == "unsupported charset x-no-such-charset");
}

TEST_CASE("PDFs: one page of text per PDF page, titled by the document") {
  const std::string bytes = read_fixture("handbook.pdf");
  REQUIRE(looks_like_pdf(bytes));
  const PdfText pdf = pdf_to_markdown(bytes, "handbook.pdf");
  REQUIRE(pdf.markdown);
  CHECK(pdf.title == "Widget Handbook");
  const SplitDocument split = split_markdown(*pdf.markdown, pdf.title);
  REQUIRE(split.pages.size() == 2);
  CHECK(split.pages[0].section_title == "## Page 1");
  CHECK(split.pages[0].content.find("Quokkafraction") != std::string::npos);
  CHECK(split.pages[1].content.find("Zanzibarite") != std::string::npos);
  CHECK(pdf_to_markdown("%PDF-1.4 garbage", "x").refused == "unreadable PDF");
  CHECK(pdf_to_markdown("hello", "x").refused == "not a PDF");
}

TEST_CASE("a local PDF is ingested a page per PDF page, a broken one skipped with a warning") {
  knowledge_test::Fixture fixture;
  fixture.write("docs/handbook.pdf", read_fixture("handbook.pdf"));
  fixture.write("docs/broken.pdf", "%PDF-1.4 not really");
  mcpgate::knowledge::IngestOptions options;
  options.source_id = "manuals";
  options.url_base = "https://example.com/manuals";
  mcpgate::knowledge::Ingester ingester(fixture.store(), options);
  std::vector<std::string> warnings;
  const std::vector<std::filesystem::path> paths{fixture.files() / "docs"};
  const auto stats = ingester.run(paths, {}, [&](const std::string& w) { warnings.push_back(w); });
  CHECK(stats.added == 1);
  CHECK(stats.skipped == 1);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] == "skipped broken.pdf: unreadable PDF");
  const auto hits = fixture.store().search_pages("zanzibarite", std::nullopt, 5);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].url == "https://example.com/manuals/handbook.pdf#page-2");
}
