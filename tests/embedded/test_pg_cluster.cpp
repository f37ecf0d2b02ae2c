// The throwaway PostgreSQL the store suites run against (tests/support/pg_cluster.hpp): it
// starts (as the postgres user when the tests run as root), hands out fresh databases that the
// test process can reach over the socket, and leaves nothing behind.
#include "pg_cluster.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <memory>
#include <string>

namespace {

std::string pg_cluster_scalar(const std::string& uri, const char* sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(uri.c_str()), &PQfinish);
  REQUIRE_MESSAGE(PQstatus(conn.get()) == CONNECTION_OK, PQerrorMessage(conn.get()));
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql), &PQclear);
  REQUIRE_MESSAGE(PQresultStatus(result.get()) == PGRES_TUPLES_OK, PQerrorMessage(conn.get()));
  return PQgetvalue(result.get(), 0, 0);
}

}  // namespace

TEST_CASE("a throwaway PostgreSQL 15 starts, gives fresh UTF-8 databases, and is removed") {
  std::filesystem::path dir;
  {
    test_support::PgCluster cluster;
    dir = cluster.socket_dir();
    const std::string first = cluster.create_database();
    const std::string second = cluster.create_database();
    CHECK(first != second);
    CHECK(pg_cluster_scalar(first, "SHOW server_version_num").substr(0, 2) == "15");
    CHECK(pg_cluster_scalar(first, "SHOW server_encoding") == "UTF8");
    CHECK(pg_cluster_scalar(second, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0");
    CHECK(std::filesystem::exists(dir));
  }
  CHECK_FALSE(std::filesystem::exists(dir));
}
