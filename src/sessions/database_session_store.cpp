#include "mcpgate/sessions/session_store.hpp"

#include "mcpgate/sessions/session.hpp"
#include "mcpgate/store/session_table.hpp"

namespace mcpgate::sessions {

namespace {

using WallClock = SessionRecord::WallClock;

std::int64_t unix_ms(WallClock::time_point when) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
}

std::string level_name(tools::LogLevel level) { return std::string(tools::to_string(level)); }

tools::LogLevel parse_level(std::string_view name) {
  if (name == tools::to_string(tools::LogLevel::off)) return tools::LogLevel::off;
  return tools::parse_log_level(name).value_or(tools::LogLevel::debug);
}

class DatabaseSessionStore final : public SessionStore {
 public:
  explicit DatabaseSessionStore(std::shared_ptr<store::Database> database)
      : table_(std::move(database)) {}

  void save(const SessionRecord& record) override {
    table_.put(store::SessionRow{.id = record.id,
                                 .transport = std::string(to_string(Transport::streamable_http)),
                                 .protocol_version = record.protocol_version,
                                 .client_capabilities = record.client_capabilities,
                                 .client_info = record.client_info,
                                 .log_level = level_name(record.log_level),
                                 .last_used_ms = unix_ms(record.last_used),
                                 .subject = record.subject});
  }

  std::optional<SessionRecord> load(const std::string& id) override {
    auto row = table_.get(id);
    if (!row || row->transport != to_string(Transport::streamable_http)) return std::nullopt;
    return SessionRecord{
        .id = std::move(row->id),
        .protocol_version = std::move(row->protocol_version),
        .client_capabilities = std::move(row->client_capabilities),
        .client_info = std::move(row->client_info),
        .log_level = parse_level(row->log_level),
        .last_used = WallClock::time_point(std::chrono::milliseconds(row->last_used_ms)),
        .subject = std::move(row->subject)};
  }

  std::vector<std::string> record_use(const std::vector<Use>& uses,
                                      WallClock::time_point when) override {
    std::vector<store::SessionTable::Use> rows;
    rows.reserve(uses.size());
    for (const auto& use : uses) rows.push_back({.id = use.id, .log_level = level_name(use.log_level)});
    return table_.touch(rows, unix_ms(when));
  }

  void remove(const std::string& id) override { table_.remove(id); }

  std::size_t remove_unused_since(WallClock::time_point before) override {
    return table_.remove_unused_since(unix_ms(before));
  }

 private:
  store::SessionTable table_;
};

}  // namespace

std::shared_ptr<SessionStore> make_database_session_store(std::shared_ptr<store::Database> database) {
  return std::make_shared<DatabaseSessionStore>(std::move(database));
}

}  // namespace mcpgate::sessions
