// 32 writers at once through EmbeddedBackend: no error reaches a caller and nothing is lost;
// then the file is reopened and everything is still there, intact.
#include "embedded_fixture.hpp"
#include "mcpgate/store/sqlite.hpp"

#include <atomic>
#include <thread>

using namespace embedded_test;

TEST_CASE("32 concurrent writers: no BUSY, no lost update, and it all survives a reopen") {
  TempDir dir;
  const auto file = dir.file("store.db");
  constexpr int threads = 32, rounds = 8;
  std::string pid, shared_task;
  std::atomic<int> failures{0};
  {
    auto backend = std::make_shared<mcpgate::backend::EmbeddedBackend>(file);
    auto call = [&](const std::string& m, const std::string& p, const json& b) {
      return backend->request(m, p, {}, b, std::nullopt);
    };
    pid = call("POST", "/api/projects", {{"title", "busy"}}).body_json->at("project_id");
    shared_task = call("POST", "/api/tasks", {{"project_id", pid}, {"title", "shared"}})
                      .body_json->at("task").at("id");

    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        const std::string me = std::to_string(t);
        for (int i = 0; i < rounds; ++i) {
          std::vector<mcpgate::backend::Response> answers;
          answers.push_back(call("POST", "/api/tasks",
                                 {{"project_id", pid}, {"title", "t" + me + "-" + std::to_string(i)}}));
          // Documents: a read-modify-write of the project's docs array.
          answers.push_back(call("POST", "/api/projects/" + pid + "/docs",
                                 {{"title", "d" + me + "-" + std::to_string(i)}, {"document_type", "note"}}));
          // Different fields of one task, from different threads.
          const json field = t % 3 == 0   ? json{{"description", "desc by " + me}}
                             : t % 3 == 1 ? json{{"assignee", "agent " + me}}
                                          : json{{"task_order", t}};
          answers.push_back(call("PUT", "/api/tasks/" + shared_task, field));
          // The project's data field, whole.
          answers.push_back(call("PUT", "/api/projects/" + pid, {{"data", {{"writer", t}, {"round", i}}}}));
          for (const auto& a : answers)
            if (a.status != 200) {
              ++failures;
              MESSAGE(a.status << " " << a.body);
            }
        }
      });
    for (auto& w : workers) w.join();
    CHECK(failures == 0);

    auto list = backend->request("GET", "/api/tasks", {{"project_id", pid}, {"per_page", "1"}}, nullptr, std::nullopt);
    CHECK(list.body_json->at("pagination").at("total") == threads * rounds + 1);
    auto docs = call("GET", "/api/projects/" + pid + "/docs", nullptr);
    CHECK(docs.body_json->at("total_count") == threads * rounds);  // no lost document
    const json task = *call("GET", "/api/tasks/" + shared_task, nullptr).body_json;
    CHECK(task["description"].get<std::string>().starts_with("desc by "));
    CHECK(task["assignee"].get<std::string>().starts_with("agent "));
    CHECK(task["title"] == "shared");
  }

  // Reopen the same file: everything is there and the database is intact.
  mcpgate::backend::EmbeddedBackend reopened(file);
  auto list = reopened.request("GET", "/api/tasks", {{"project_id", pid}}, nullptr, std::nullopt);
  CHECK(list.body_json->at("pagination").at("total") == threads * rounds + 1);
  auto docs = reopened.request("GET", "/api/projects/" + pid + "/docs", {}, nullptr, std::nullopt);
  CHECK(docs.body_json->at("total_count") == threads * rounds);
  const auto integrity = reopened.database().read([](mcpgate::store::Connection& c) {
    auto s = c.prepare("PRAGMA integrity_check");
    s.step();
    return s.text(0);
  });
  CHECK(integrity == "ok");
}
