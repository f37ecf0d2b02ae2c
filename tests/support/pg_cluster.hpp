// A throwaway PostgreSQL 15 for tests: initdb in a fresh temp folder, a server listening only
// on a unix socket in that folder (no TCP port, so parallel test runs never collide), one new
// database per test on demand, and everything stopped and removed by the destructor.
//
//   test_support::PgCluster cluster;                 // initdb + start (about a second)
//   std::string uri = cluster.create_database();      // "postgresql:///t1?host=/tmp/...&user=mcpgate"
//
// Root. initdb and postgres refuse to run as root, and CI runs the tests as root: then both run
// as the `postgres` system user (Debian's postgresql package creates it) through runuser, and
// the temp folder is handed to that user. Root still reaches the socket (the folder's mode does
// not bind root), so the test process connects as itself. Authentication is `trust`: the only
// way in is the socket in a folder nobody else can enter.
//
// The server runs with fsync=off: a test cluster dies with its test, and nothing in the suites
// depends on surviving a power cut of the test machine (a kill -9 of mcpgate is survived by
// PostgreSQL's normal commit path, which fsync=off does not change for the running server).
#pragma once

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace test_support {

class PgCluster {
 public:
  PgCluster() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mcpgate-pg-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("PgCluster: mkdtemp failed");
    dir_ = pattern;
    try {
      start();
    } catch (...) {
      remove();
      throw;
    }
  }
  ~PgCluster() {
    if (started_) run("pg_ctl -D " + data() + " -m immediate -w stop >/dev/null 2>&1");
    remove();
  }
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // A libpq URI of `database` on this cluster (the superuser `mcpgate`, over the socket).
  [[nodiscard]] std::string uri(const std::string& database = "postgres") const {
    return "postgresql:///" + database + "?host=" + dir_.string() + "&port=" + port + "&user=mcpgate";
  }

  // Creates a new, empty database and returns its URI.
  [[nodiscard]] std::string create_database() {
    const std::string name = "t" + std::to_string(++databases_);
    execute("CREATE DATABASE " + name);
    return uri(name);
  }

  // Runs one SQL command on the `postgres` database; throws with the server's message.
  void execute(const std::string& sql) const {
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(uri().c_str()), &PQfinish);
    if (PQstatus(conn.get()) != CONNECTION_OK)
      throw std::runtime_error("PgCluster: cannot connect: " + std::string(PQerrorMessage(conn.get())));
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), &PQclear);
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK && PQresultStatus(result.get()) != PGRES_TUPLES_OK)
      throw std::runtime_error("PgCluster: " + sql + ": " + PQerrorMessage(conn.get()));
  }

  [[nodiscard]] const std::filesystem::path& socket_dir() const { return dir_; }

  // One cluster for the whole test process, started by the first test that asks for it and
  // stopped when the process exits (a function-local static: tests only).
  static PgCluster& shared() {
    static PgCluster cluster;
    return cluster;
  }

 private:
  static constexpr const char* port = "5432";  // names the socket file only: no TCP listener
  static constexpr const char* bin = "/usr/lib/postgresql/15/bin/";

  [[nodiscard]] std::string data() const { return (dir_ / "data").string(); }

  // Runs a PostgreSQL program line: as the postgres user when we are root.
  static int run(const std::string& line) {
    const std::string command = geteuid() == 0 ? "runuser -u postgres -- " + std::string(bin) + line
                                               : std::string(bin) + line;
    return std::system(command.c_str());
  }

  void start() {
    if (geteuid() == 0) {
      const std::string chown = "chown postgres:postgres " + dir_.string();
      if (std::system(chown.c_str()) != 0)
        throw std::runtime_error("PgCluster: cannot hand " + dir_.string() +
                                 " to the postgres user (is Debian's postgresql package installed?)");
    }
    const std::string log = (dir_ / "initdb.log").string();
    if (run("initdb -D " + data() + " -U mcpgate -A trust -E UTF8 --locale=C.UTF-8 --no-sync >" +
            log + " 2>&1") != 0)
      throw std::runtime_error("PgCluster: initdb failed: " + read(log));
    const std::string server_log = (dir_ / "server.log").string();
    const std::string options = "-k " + dir_.string() + " -p " + port +
                                " -c listen_addresses= -c fsync=off -c full_page_writes=off"
                                " -c max_connections=200 -c shared_buffers=16MB";
    if (run("pg_ctl -D " + data() + " -l " + server_log + " -w -t 60 -o '" + options +
            "' start >/dev/null 2>&1") != 0)
      throw std::runtime_error("PgCluster: the server did not start: " + read(server_log));
    started_ = true;
  }

  void remove() const {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }

  std::filesystem::path dir_;
  bool started_ = false;
  std::atomic<int> databases_{0};
};

}  // namespace test_support
