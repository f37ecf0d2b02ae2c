#include "closed_loop.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <vector>

namespace loadgen {

double process_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double process_cpu_seconds(int pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  const std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index == 14 || index == 15) ticks += std::stod(field);  // utime, stime
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double process_tree_cpu_seconds(int pid) {
  const double own = process_cpu_seconds(pid);
  if (own < 0) return -1;
  double total = own;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream file(entry.path() / "stat");
    const std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    // After the name: state (field 3), then the parent's id (field 4).
    std::istringstream fields(stat.substr(close + 2));
    std::string state;
    int parent = 0;
    if (fields >> state >> parent && parent == pid) {
      const double child = process_cpu_seconds(std::stoi(name));
      if (child > 0) total += child;
    }
  }
  return total;
}

bool is_good_result(std::string_view text) {
  // A substring check, not a parse: the load generator must stay cheap next to the server.
  return text.find("\"result\"") != std::string_view::npos &&
         text.find("\"isError\":true") == std::string_view::npos;
}

bool is_successful_tool_result(std::string_view text) {
  // The tool's answer is a JSON text inside the result: its quotes arrive escaped.
  return is_good_result(text) && text.find(R"(\"success\":false)") == std::string_view::npos &&
         text.find(R"("success":false)") == std::string_view::npos;
}

bool accept_rpc_result(const Response& response, bool result_event) {
  if (response.status != 200) return false;
  return result_event || is_good_result(response.body);
}

bool accept_successful_tool_result(const Response& response, bool result_event) {
  if (response.status != 200) return false;
  return result_event || is_successful_tool_result(response.body);
}

ClosedLoopResult closed_loop(const Url& url, const ClosedLoopOptions& options) {
  struct Caller {
    std::unique_ptr<Connection> connection;
    Clock::time_point sent;
    bool result_event = false;
    bool busy = false;
  };

  Loop loop;
  ClosedLoopResult result;
  long long sequence = 0;
  const auto start = Clock::now();
  const auto measure_from = start + options.warmup;
  const auto end = measure_from + options.duration;
  std::vector<Caller> callers(static_cast<std::size_t>(options.connections));

  auto send_next = [&](Caller& caller) {
    caller.result_event = false;
    caller.busy = true;
    caller.sent = Clock::now();
    caller.connection->send(options.request(sequence++));
  };

  for (auto& caller : callers) {
    Caller* self = &caller;
    caller.connection = std::make_unique<Connection>(
        loop, url.address,
        Connection::Handlers{
            nullptr,
            [&options, self](const SseEvent& event) {
              if (options.good_event(event.data)) self->result_event = true;
            },
            [&, self](Response& response) {
              const auto now = Clock::now();
              self->busy = false;
              if (self->sent >= measure_from && now <= end) {
                if (options.accept(response, self->result_event)) {
                  ++result.ok;
                  result.latencies.add(now - self->sent);
                } else {
                  ++result.errors;
                  if (result.first_error.empty())
                    result.first_error = "HTTP " + std::to_string(response.status) + ": " +
                                         response.body.substr(0, 200);
                }
              }
              if (now < end) send_next(*self);
            },
            [&, self](const std::string& why) {
              self->busy = false;
              if (Clock::now() >= measure_from) {
                ++result.errors;
                if (result.first_error.empty()) result.first_error = why;
              }
              if (Clock::now() < end) send_next(*self);
            },
        });
  }

  for (auto& caller : callers) send_next(caller);
  loop.run_until([] { return false; }, measure_from);
  const double cpu_before = process_cpu_seconds();
  const double server_before = options.server_pid > 0 ? process_cpu_seconds(options.server_pid) : -1;
  const double database_before = options.database_pid > 0 ? process_tree_cpu_seconds(options.database_pid) : -1;
  loop.run_until([] { return false; }, end);
  result.cpu_seconds = process_cpu_seconds() - cpu_before;
  if (server_before >= 0) {
    const double server_after = process_cpu_seconds(options.server_pid);
    if (server_after >= 0) result.server_cpu_seconds = server_after - server_before;
  }
  if (database_before >= 0) {
    const double database_after = process_tree_cpu_seconds(options.database_pid);
    if (database_after >= 0) result.database_cpu_seconds = database_after - database_before;
  }
  result.seconds = std::chrono::duration<double>(options.duration).count();
  // Let the last answers arrive so that the connections close cleanly.
  loop.run_until(
      [&] {
        for (const auto& caller : callers)
          if (caller.busy) return false;
        return true;
      },
      Clock::now() + std::chrono::seconds(5));
  return result;
}

}  // namespace loadgen
