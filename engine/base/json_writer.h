// Canonical JSON objects, written directly: keys sorted bytewise, no whitespace, strings
// escaped minimally. The journal hashes these bytes, so the same fields always give the
// same text. Text that is not valid UTF-8 (a command's output cut mid-character, binary
// output) is written with U+FFFD in place of each bad sequence rather than refused.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tminus {

// Appends `text` as a JSON string literal, quotes included.
void AppendJsonString(std::string_view text, std::string* out);

class JsonObjectWriter {
 public:
  // Keys must be distinct; each value is stored until Finish().
  void Add(std::string_view key, std::string_view value);
  void Add(std::string_view key, const char* value) { Add(key, std::string_view(value)); }
  void Add(std::string_view key, const std::string& value) { Add(key, std::string_view(value)); }
  void Add(std::string_view key, int64_t value);
  void Add(std::string_view key, int value) { Add(key, static_cast<int64_t>(value)); }
  void Add(std::string_view key, bool value);
  void Add(std::string_view key, const std::vector<std::string>& values);  // an array

  // The object, keys in bytewise order.
  std::string Finish();

 private:
  struct Field {
    std::string key;    // short: kept inline, no allocation
    std::string value;  // already JSON
  };
  std::vector<Field> fields_;
};

}  // namespace tminus
