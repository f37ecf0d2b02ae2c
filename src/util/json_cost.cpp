#include "mcpgate/util/json_cost.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace mcpgate::util {

namespace {

using json = nlohmann::json;

// Sizes on x86-64 with libstdc++ and glibc's malloc (16-byte header and alignment).
constexpr std::size_t value_bytes = sizeof(json);                // 16: the value itself
constexpr std::size_t block_overhead = 16;                       // malloc's header per block
constexpr std::size_t string_bytes = sizeof(std::string) + block_overhead;   // the heap string
constexpr std::size_t object_bytes = sizeof(json::object_t) + block_overhead;  // the std::map
constexpr std::size_t array_bytes = sizeof(json::array_t) + block_overhead;    // the std::vector
// A map node: red-black links (32) + the key string (32) + the value (16), in one block.
constexpr std::size_t member_bytes = 32 + sizeof(std::string) + value_bytes + block_overhead;
constexpr std::size_t small_string = 15;  // libstdc++ keeps up to 15 characters inline

// The characters of a string kept outside the std::string (beyond the small-string buffer).
std::size_t text_bytes(std::size_t length) {
  return length > small_string ? length + 1 + block_overhead : 0;
}

class CostCounter final : public nlohmann::json_sax<json> {
 public:
  explicit CostCounter(std::size_t limit) : limit_(limit) {}

  bool null() override { return value(0); }
  bool boolean(bool) override { return value(0); }
  bool number_integer(number_integer_t) override { return value(0); }
  bool number_unsigned(number_unsigned_t) override { return value(0); }
  bool number_float(number_float_t, const string_t&) override { return value(0); }
  bool string(string_t& text) override { return value(string_bytes + text_bytes(text.size())); }
  bool binary(binary_t& data) override { return value(string_bytes + data.size()); }
  bool start_object(std::size_t) override { return value(object_bytes); }
  bool key(string_t& name) override {
    // The member's value is counted when it comes; here its node (which holds the value) and
    // the key's characters. The value's own 16 bytes are then counted twice: a small margin.
    return add(member_bytes + text_bytes(name.size()));
  }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return value(array_bytes); }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

  [[nodiscard]] bool over() const { return over_; }

 private:
  // One value: its json, plus as much again for the slot a growing vector may leave empty
  // (capacity doubles), plus its heap block.
  bool value(std::size_t heap) { return add(2 * value_bytes + heap); }

  bool add(std::size_t bytes) {
    total_ += bytes;
    if (total_ > limit_) over_ = true;
    return !over_;
  }

  std::size_t limit_;
  std::size_t total_ = 0;
  bool over_ = false;
};

}  // namespace

bool json_parse_cost_within(std::string_view text, std::size_t max_bytes) {
  CostCounter counter(max_bytes);
  (void)json::sax_parse(text.begin(), text.end(), &counter, json::input_format_t::json, /*strict=*/true);
  return !counter.over();
}

}  // namespace mcpgate::util
