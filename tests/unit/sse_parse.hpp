// A small Server-Sent Events parser that follows the WHATWG "event stream interpretation"
// rules (lines end at CRLF, CR or LF; an empty line dispatches; ':' starts a comment; one
// space after the colon is dropped; an event with an empty data buffer is not dispatched).
// Used by the unit tests to read back what the server frames, exactly as a browser would.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcpgate::test {

struct SseEvent {
  std::string event;  // "" = default ("message")
  std::string id;     // the last event id in force when this event was dispatched
  std::string data;
  std::optional<long> retry;
};

struct SseParseResult {
  std::vector<SseEvent> events;
  std::size_t comments = 0;
  std::vector<std::string> fields;  // every field name seen, in order (incl. unknown ones)
};

inline std::vector<std::string> sse_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::string current;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' || c == '\n') {
      lines.push_back(current);
      current.clear();
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      current.push_back(c);
    }
  }
  // A trailing incomplete line is discarded by real parsers (never dispatched).
  return lines;
}

inline SseParseResult parse_sse(std::string_view text) {
  SseParseResult out;
  std::string data, event, last_id;
  bool have_data = false;
  std::optional<long> retry;
  for (const auto& line : sse_lines(text)) {
    if (line.empty()) {
      if (have_data) {
        if (!data.empty() && data.back() == '\n') data.pop_back();
        out.events.push_back(SseEvent{event, last_id, data, retry});
      }
      data.clear();
      event.clear();
      have_data = false;
      retry.reset();
      continue;
    }
    if (line[0] == ':') {
      ++out.comments;
      continue;
    }
    std::string field, value;
    const auto colon = line.find(':');
    if (colon == std::string::npos) {
      field = line;
    } else {
      field = line.substr(0, colon);
      value = line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    }
    out.fields.push_back(field);
    if (field == "data") {
      data += value;
      data += '\n';
      have_data = true;
    } else if (field == "event") {
      event = value;
    } else if (field == "id") {
      if (value.find('\0') == std::string::npos) last_id = value;
    } else if (field == "retry") {
      try {
        retry = std::stol(value);
      } catch (...) {
      }
    }
  }
  return out;
}

}  // namespace mcpgate::test
