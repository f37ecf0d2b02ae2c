// What a request's credentials let it do, once the server has checked them: whose they are and
// the OAuth scopes they grant (mcpgate as an OAuth 2.1 resource server), or everything (the
// static --auth-token). The transport hands it to the client state a request runs in; the tool
// calls check it (ToolScopes); session_info shows the subject.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mcpgate::protocol {

struct Access {
  // The access token's `sub`; "" for the static token and for servers that check nothing.
  // A session is bound to the subject that opened it.
  std::string subject;
  std::vector<std::string> scopes;  // what the token grants
  // Not scoped: the static --auth-token, and every client of a server that checks no
  // credentials (what a client state holds until a request's access is set).
  bool every_scope = true;
};

// Which scope each tool needs. The names are the operator's (--oauth-read-scope,
// --oauth-write-scope), so that they can match what an identity provider already issues.
struct ToolScopes {
  std::string read = "mcpgate:read";
  std::string write = "mcpgate:write";

  // The scope a call of `tool` needs: `write` for the manage_* tools (they change the store),
  // `read` for every other one; "" when that scope is configured empty (no scope needed).
  [[nodiscard]] std::string_view needed_for(std::string_view tool) const;
  // Whether `access` holds `scope`. `write` implies `read`: the MCP authorization spec asks
  // servers to honour scope hierarchies, and a token that may change the store may read it.
  [[nodiscard]] bool holds(const Access& access, std::string_view scope) const;
};

}  // namespace mcpgate::protocol
