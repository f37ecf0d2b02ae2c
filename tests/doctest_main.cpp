// The main of every doctest executable. Each folder's tests are one executable, and each meson
// test runs it for one source file (--source-file=*/test_x.cpp): a filter that matches no test
// case (a file renamed without its meson entry) must fail, not pass with nothing run.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace {

// Written by doctest on the main thread: how many test cases the filters selected, and whether
// this run only answered a query (--list-test-cases, --count, ...), which runs no test.
unsigned selected_test_cases = 0;
bool answered_query = false;

struct SelectionCounter : doctest::IReporter {
  explicit SelectionCounter(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override { answered_query = true; }
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats& stats) override {
    selected_test_cases = stats.numTestCasesPassingFilters;
  }
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

}  // namespace

DOCTEST_REGISTER_LISTENER("selection_counter", 1, SelectionCounter);

int main(int argc, char** argv) {
  // Debian's libspdlog.so is not built with ThreadSanitizer, so its lazily created registry
  // looks racy to TSan when the first log call of the process happens on two threads at once:
  // create it here, before any test starts a thread.
  spdlog::default_logger();
  doctest::Context context(argc, argv);
  const int result = context.run();
  if (context.shouldExit() || answered_query) return result;  // --help, --list-test-cases, ...
  if (result == 0 && selected_test_cases == 0) {
    std::fprintf(stderr, "doctest_main: no test case matches the filters given\n");
    return 1;
  }
  return result;
}
