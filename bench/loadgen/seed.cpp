// The seed step of the store workload: projects and tasks created through the server's own
// tools (manage_project, manage_task) over one Streamable HTTP session, so that the store holds
// what the find_tasks measurements read, whichever store it is.
#include "closed_loop.hpp"
#include "mcp_requests.hpp"
#include "workloads.hpp"

#include <array>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace loadgen {

namespace {

constexpr std::array<std::string_view, 4> seed_statuses{"todo", "doing", "review", "done"};
constexpr std::array<std::string_view, 4> seed_assignees{"User", "Archon", "Coding Agent", "Reviewer"};
constexpr std::array<std::string_view, 6> seed_verbs{"Write", "Fix", "Review", "Document", "Test", "Refactor"};

// What a task is about: its title says one of these, so a query for one of them matches about
// tasks / seed_subjects.size() tasks. No subject is part of another (the task search matches
// substrings).
constexpr std::array<std::string_view, 50> seed_subjects{
    "invoice", "login", "checkout", "avatar", "webhook", "sitemap", "tooltip", "carousel",
    "dropdown", "pagination", "billing", "onboarding", "search bar", "sidebar", "footer",
    "password reset", "export", "dashboard", "calendar", "timezone", "locale", "upload",
    "thumbnail", "cache", "migration", "rate limiter", "audit log", "permission", "invitation",
    "newsletter", "coupon", "refund", "shipping", "inventory", "barcode", "receipt", "profile",
    "settings page", "dark mode", "keyboard shortcut", "changelog", "feature flag", "retry queue",
    "health probe", "backup", "restore", "archive", "markdown preview", "spellcheck", "autosave"};

std::string task_title(long long n) {
  return std::string(seed_verbs[static_cast<std::size_t>(n) % seed_verbs.size()]) + " the " +
         std::string(seed_subjects[static_cast<std::size_t>(n) % seed_subjects.size()]) + " (task " +
         std::to_string(n) + ")";
}

json task_arguments(const std::string& project_id, long long n) {
  const auto at = [n](const auto& list) { return list[static_cast<std::size_t>(n / 3) % list.size()]; };
  return json{{"action", "create"},
              {"project_id", project_id},
              {"title", task_title(n)},
              {"description", "Seeded by the store benchmark. Done when the change is merged, "
                              "tested and in the release notes; task number " +
                                  std::to_string(n) + "."},
              {"status", std::string(at(seed_statuses))},
              {"assignee", std::string(at(seed_assignees))},
              {"task_order", static_cast<int>(n % 101)},
              {"feature", "feature-" + std::to_string(n % 12)}};
}

// Sends every request of `requests` once, over `connections` keep-alive connections, each
// sending its next request when its previous answer is complete. The number of answers that
// were not a successful tools/call result, and the first of them.
struct BatchResult {
  long long errors = 0;
  std::string first_error;
};
BatchResult send_all(const Url& url, const std::vector<std::string>& requests, int connections,
                     std::chrono::seconds timeout) {
  struct Caller {
    std::unique_ptr<Connection> connection;
    bool result_event = false;
  };
  Loop loop;
  BatchResult result;
  std::size_t next = 0, done = 0;
  std::vector<Caller> callers(static_cast<std::size_t>(connections));
  auto send_next = [&](Caller& caller) {
    if (next == requests.size()) return;
    caller.result_event = false;
    caller.connection->send(requests[next++]);
  };
  auto failed = [&](const std::string& why) {
    ++result.errors;
    if (result.first_error.empty()) result.first_error = why;
  };
  for (auto& caller : callers) {
    Caller* self = &caller;
    caller.connection = std::make_unique<Connection>(
        loop, url.address,
        Connection::Handlers{
            nullptr,
            [self](const SseEvent& event) {
              if (is_successful_tool_result(event.data)) self->result_event = true;
            },
            [&, self](Response& response) {
              ++done;
              if (!accept_successful_tool_result(response, self->result_event))
                failed("HTTP " + std::to_string(response.status) + ": " + response.body.substr(0, 200));
              send_next(*self);
            },
            [&, self](const std::string& why) {
              ++done;
              failed(why);
              send_next(*self);
            },
        });
  }
  for (auto& caller : callers) send_next(caller);
  if (!loop.run_until([&] { return done == requests.size(); }, Clock::now() + timeout))
    failed("not every seed call was answered within " + std::to_string(timeout.count()) + " s");
  return result;
}

// The text of a tools/call result's first content item, parsed: the tool's JSON answer.
json tool_answer(const Fetched& fetched, const char* what) {
  const auto message = rpc_message(fetched);
  if (!fetched.error.empty() || !message || !message->contains("result"))
    throw std::runtime_error(std::string(what) + ": no result (" +
                             (fetched.error.empty() ? fetched.response.body.substr(0, 200) : fetched.error) + ")");
  const json& content = (*message)["result"].value("content", json::array());
  if (content.empty() || !content[0].contains("text"))
    throw std::runtime_error(std::string(what) + ": a result without text content");
  return json::parse(content[0]["text"].get<std::string>());
}

}  // namespace

json run_seed(const SeedOptions& options) {
  using namespace std::chrono_literals;
  const std::string session = start_session(options.url);
  const auto start = Clock::now();

  // The projects one at a time: their ids are needed for the tasks.
  json project_ids = json::array();
  for (int p = 0; p < options.projects; ++p) {
    const json arguments{{"action", "create"},
                         {"title", "Bench project " + std::to_string(p)},
                         {"description", "Seeded by the store benchmark."}};
    const auto got = fetch(options.url,
                           post_request(options.url, options.url.path,
                                        tool_call_body(p + 2, "manage_project", arguments), session),
                           30s);
    const json answer = tool_answer(got, "manage_project create");
    if (!answer.value("success", false) || !answer.contains("project_id") || !answer["project_id"].is_string())
      throw std::runtime_error("manage_project create: " + answer.dump().substr(0, 200));
    project_ids.push_back(answer["project_id"]);
  }
  const auto projects_done = Clock::now();

  // The tasks spread evenly over the projects, created by C callers at once.
  std::vector<std::string> requests;
  requests.reserve(static_cast<std::size_t>(options.tasks));
  for (long long n = 0; n < options.tasks; ++n) {
    const auto& project = project_ids[static_cast<std::size_t>(n % options.projects)].get_ref<const std::string&>();
    requests.push_back(post_request(options.url, options.url.path,
                                    tool_call_body(1000 + n, "manage_task", task_arguments(project, n)), session));
  }
  const auto batch = send_all(options.url, requests, options.connections, options.timeout);
  const auto end = Clock::now();
  const double task_seconds = std::chrono::duration<double>(end - projects_done).count();
  return json{{"workload", "seed"},
              {"projects", options.projects},
              {"tasks", options.tasks},
              {"connections", options.connections},
              {"project_ids", std::move(project_ids)},
              {"seconds", std::chrono::duration<double>(end - start).count()},
              {"tasks_per_second", task_seconds > 0 ? static_cast<double>(options.tasks) / task_seconds : 0.0},
              {"errors", batch.errors},
              {"first_error", batch.first_error}};
}

}  // namespace loadgen
