#include "engine/base/json_writer.h"

#include <algorithm>

namespace tminus {

namespace {

// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is not one
// (overlong forms, surrogates and code points past U+10FFFF are invalid, as in RFC 3629).
size_t Utf8Length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  size_t length;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) low = 0xA0;
    if (b0 == 0xED) high = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) low = 0x90;
    if (b0 == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

}  // namespace

void AppendJsonString(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->reserve(out->size() + text.size() + text.size() / 16 + 2);  // room for some escapes
  out->push_back('"');
  size_t i = 0;
  while (i < text.size()) {
    // Printable ASCII other than '"' and '\\' is copied as it is, a run at a time (a
    // runbook's text is almost all of it).
    size_t plain = i;
    while (plain < text.size()) {
      const unsigned char p = static_cast<unsigned char>(text[plain]);
      if (p < 0x20 || p >= 0x80 || p == '"' || p == '\\') break;
      ++plain;
    }
    if (plain > i) {
      out->append(text.data() + i, plain - i);
      i = plain;
      continue;
    }
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const size_t length = Utf8Length(text, i);
      if (length == 0) {
        out->append("\xEF\xBF\xBD");  // U+FFFD REPLACEMENT CHARACTER
        ++i;
      } else {
        out->append(text.data() + i, length);
        i += length;
      }
      continue;
    }
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out->push_back('"');
}

void JsonObjectWriter::Add(std::string_view key, std::string_view value) {
  Field f{std::string(key), {}};
  AppendJsonString(value, &f.value);
  fields_.push_back(std::move(f));
}

void JsonObjectWriter::Add(std::string_view key, int64_t value) {
  fields_.push_back({std::string(key), std::to_string(value)});
}

void JsonObjectWriter::Add(std::string_view key, bool value) {
  fields_.push_back({std::string(key), value ? "true" : "false"});
}

void JsonObjectWriter::Add(std::string_view key, const std::vector<std::string>& values) {
  std::string array = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) array.push_back(',');
    AppendJsonString(values[i], &array);
  }
  array.push_back(']');
  fields_.push_back({std::string(key), std::move(array)});
}

std::string JsonObjectWriter::Finish() {
  std::sort(fields_.begin(), fields_.end(),
            [](const Field& a, const Field& b) { return a.key < b.key; });
  size_t size = 2;
  for (const Field& f : fields_) size += f.key.size() + f.value.size() + 4;
  std::string out;
  out.reserve(size);
  out.push_back('{');
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(fields_[i].key, &out);
    out.push_back(':');
    out += fields_[i].value;
  }
  out.push_back('}');
  fields_.clear();
  return out;
}

}  // namespace tminus
