#include "engine/executors/output_capture.h"

#include <algorithm>
#include <utility>

namespace tminus {
namespace {

// The longest expected text quoted in an error.
constexpr size_t kMaxQuoted = 200;

// The spans of `text` covered by any of `secrets`, sorted and merged.
std::vector<std::pair<size_t, size_t>> SecretSpans(std::string_view text,
                                                   const std::vector<std::string>& secrets) {
  std::vector<std::pair<size_t, size_t>> spans;
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    for (size_t at = text.find(secret); at != std::string_view::npos;
         at = text.find(secret, at + 1)) {
      spans.emplace_back(at, at + secret.size());
    }
  }
  std::sort(spans.begin(), spans.end());
  std::vector<std::pair<size_t, size_t>> merged;
  for (const auto& span : spans) {
    if (!merged.empty() && span.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, span.second);
    } else {
      merged.push_back(span);
    }
  }
  return merged;
}

}  // namespace

std::string Redact(std::string_view text, size_t from, const std::vector<std::string>& secrets) {
  const std::vector<std::pair<size_t, size_t>> spans = SecretSpans(text, secrets);
  std::string out;
  out.reserve(text.size() - std::min(from, text.size()));
  auto span = spans.begin();
  size_t at = from;
  while (at < text.size()) {
    while (span != spans.end() && span->second <= at) ++span;
    if (span != spans.end() && span->first <= at) {
      out += "***";
      at = span->second;
      continue;
    }
    const size_t next = span == spans.end() ? text.size() : span->first;
    out.append(text.substr(at, next - at));
    at = next;
  }
  return out;
}

size_t LongestSecret(const std::vector<std::string>& secrets) {
  size_t longest = 0;
  for (const std::string& secret : secrets) longest = std::max(longest, secret.size());
  return longest;
}

std::string Quoted(const std::string& text, const std::vector<std::string>& secrets) {
  const std::string masked = Redact(text, 0, secrets);
  if (masked.size() <= kMaxQuoted) return "'" + masked + "'";
  return "'" + masked.substr(0, kMaxQuoted) + "...'";
}

void OutputTail::Append(const char* data, size_t size) {
  total_ += size;
  buffer_.append(data, size);
  if (buffer_.size() > 2 * keep_) buffer_.erase(0, buffer_.size() - keep_);
}

std::string OutputTail::Finish(const std::vector<std::string>& secrets) const {
  std::string_view window(buffer_);
  if (window.size() > keep_) window.remove_prefix(window.size() - keep_);
  const size_t from = window.size() > cap_ ? window.size() - cap_ : 0;
  std::string out;
  if (total_ > cap_) {
    out = "[tminus: " + std::to_string(total_ - cap_) + " earlier bytes not kept]\n";
  }
  return out + Redact(window, from, secrets);
}

void StreamMatcher::Feed(const char* data, size_t size) {
  if (found_) return;
  carry_.append(data, size);
  if (carry_.find(needle_) != std::string::npos) {
    found_ = true;
    carry_.clear();
    return;
  }
  const size_t keep = needle_.size() - 1;
  if (carry_.size() > keep) carry_.erase(0, carry_.size() - keep);
}

std::string ExpectationError(const ActionRequest& request, int exit_code, bool stdout_matched) {
  if (exit_code != request.expect_exit_code) {
    return "exit code " + std::to_string(exit_code) + ", expected " + std::to_string(request.expect_exit_code);
  }
  if (!stdout_matched) return "stdout does not contain " + Quoted(request.expect_stdout_contains, request.secret_values);
  return "";
}

}  // namespace tminus
