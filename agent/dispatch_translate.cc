#include "agent/dispatch_translate.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tminus::agent {
namespace {

// The executor's first line when it dropped the start of a stream.
const std::string kDroppedPrefix = "[tminus: ";
const std::string kDroppedSuffix = " earlier bytes not kept]\n";

bool HasNul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

absl::Status Invalid(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("invalid dispatch: ", what));
}

absl::Status ReadProbe(const v1::Probe& in, Probe* out) {
  switch (in.kind_case()) {
    case v1::Probe::kTcp:
      if (in.tcp().address().empty()) return Invalid("the tcp probe has no address");
      out->kind = Probe::Kind::kTcp;
      out->address.value = in.tcp().address();
      return absl::OkStatus();
    case v1::Probe::kHttp:
      if (in.http().url().empty()) return Invalid("the http probe has no url");
      if (in.http().expect_status() < 0 || in.http().expect_status() > 999) {
        return Invalid(absl::StrCat("the http probe expects status ", in.http().expect_status(),
                                    ", which is not an HTTP status"));
      }
      out->kind = Probe::Kind::kHttp;
      out->url.value = in.http().url();
      out->status.value = in.http().expect_status() == 0 ? 200 : in.http().expect_status();
      return absl::OkStatus();
    case v1::Probe::kDns:
      if (in.dns().name().empty()) return Invalid("the dns probe has no name");
      out->kind = Probe::Kind::kDns;
      out->name.value = in.dns().name();
      out->expect.value = in.dns().expect();
      return absl::OkStatus();
    case v1::Probe::KIND_NOT_SET:
      return Invalid("the probe has no kind (tcp, http or dns)");
  }
  return Invalid("the probe has an unknown kind");
}

}  // namespace

std::string AttemptKey(const v1::DispatchId& id) {
  return absl::StrCat(id.run_id().size(), ":", id.run_id(), id.step_id().size(), ":", id.step_id(),
                      id.host().size(), ":", id.host(), id.attempt(), id.rollback() ? "r" : "a");
}

std::string AttemptLabel(const v1::DispatchId& id) {
  return absl::StrCat(id.step_id(), id.rollback() ? "#rollback" : "#", id.attempt());
}

absl::StatusOr<ActionRequest> ToActionRequest(const v1::Dispatch& dispatch) {
  if (!dispatch.has_id()) return Invalid("the dispatch has no id");
  const v1::DispatchId& id = dispatch.id();
  if (id.step_id().empty()) return Invalid("the dispatch id has no step_id");
  if (id.attempt() < 1) return Invalid("the dispatch id's attempt is 0; attempts count from 1");

  ActionRequest request;
  request.run_id = id.run_id();
  request.dispatch_id = AttemptKey(id);
  request.step_id = id.step_id();
  request.attempt = static_cast<int>(std::min<uint32_t>(id.attempt(), 1u << 30));
  request.rollback = id.rollback();
  request.target = id.host();

  switch (dispatch.action_case()) {
    case v1::Dispatch::kCommand: {
      const auto& argv = dispatch.command().argv();
      if (argv.empty()) return Invalid("argv is empty");
      if (argv[0].empty()) return Invalid("argv[0], the program, is empty");
      for (int i = 0; i < argv.size(); ++i) {
        if (HasNul(argv[i])) return Invalid(absl::StrCat("argv[", i, "] contains a NUL byte"));
      }
      request.kind = Action::Kind::kCommand;
      request.argv.assign(argv.begin(), argv.end());
      break;
    }
    case v1::Dispatch::kShell:
      if (dispatch.shell().script().empty()) return Invalid("the shell script is empty");
      if (HasNul(dispatch.shell().script())) return Invalid("the shell script contains a NUL byte");
      request.kind = Action::Kind::kShell;
      request.shell = dispatch.shell().script();
      break;
    case v1::Dispatch::kProbe:
      request.kind = Action::Kind::kProbe;
      if (absl::Status status = ReadProbe(dispatch.probe(), &request.probe); !status.ok()) {
        return status;
      }
      break;
    case v1::Dispatch::ACTION_NOT_SET:
      return Invalid("no action is set (command, shell or probe)");
  }

  for (int i = 0; i < dispatch.env_size(); ++i) {
    const v1::EnvVar& var = dispatch.env(i);
    if (var.name().empty()) return Invalid(absl::StrCat("env[", i, "] has no name"));
    if (var.name().find_first_of(std::string_view("=\0", 2)) != std::string::npos) {
      return Invalid(absl::StrCat("env[", i, "] has a name with '=' or a NUL byte"));
    }
    if (HasNul(var.value()))
      return Invalid(absl::StrCat("env[", i, "] has a NUL byte in its value"));
    request.env.emplace_back(var.name(), var.value());
  }

  request.timeout = Millis(dispatch.timeout_ms());
  request.expect_exit_code = dispatch.expect_exit_code();
  request.expect_stdout_contains = dispatch.expect_stdout_contains();
  request.secret_values.assign(dispatch.redact().begin(), dispatch.redact().end());
  return request;
}

std::string CapTail(std::string tail, size_t cap) {
  if (cap == 0) return tail;
  // What the executor already dropped, from its own first line.
  uint64_t dropped = 0;
  size_t body = 0;
  if (tail.compare(0, kDroppedPrefix.size(), kDroppedPrefix) == 0) {
    const size_t end = tail.find(kDroppedSuffix, kDroppedPrefix.size());
    if (end != std::string::npos) {
      const std::string number = tail.substr(kDroppedPrefix.size(), end - kDroppedPrefix.size());
      char* parsed_end = nullptr;
      const unsigned long long value = std::strtoull(number.c_str(), &parsed_end, 10);
      if (!number.empty() && parsed_end != nullptr && *parsed_end == '\0') {
        dropped = value;
        body = end + kDroppedSuffix.size();
      }
    }
  }
  if (tail.size() - body <= cap) return tail;
  const size_t cut = tail.size() - body - cap;
  return absl::StrCat(kDroppedPrefix, dropped + cut, kDroppedSuffix,
                      tail.substr(tail.size() - cap));
}

v1::Result ToResult(const v1::DispatchId& id, const ActionResult& outcome, size_t output_cap_bytes,
                    int64_t finished_unix_ms) {
  v1::Result result;
  *result.mutable_id() = id;
  result.set_ok(outcome.ok);
  result.set_exit_code(outcome.exit_code);
  result.set_timed_out(outcome.timed_out);
  result.set_cancelled(outcome.cancelled);
  result.set_error(outcome.error);
  const int64_t ms = std::clamp<int64_t>(outcome.duration.count(), 0, UINT32_MAX);
  result.set_duration_ms(static_cast<uint32_t>(ms));
  result.set_stdout_tail(CapTail(outcome.stdout_tail, output_cap_bytes));
  result.set_stderr_tail(CapTail(outcome.stderr_tail, output_cap_bytes));
  result.set_finished_unix_ms(finished_unix_ms);
  return result;
}

v1::Result FailedResult(const v1::DispatchId& id, const std::string& error,
                        int64_t finished_unix_ms) {
  v1::Result result;
  *result.mutable_id() = id;
  result.set_ok(false);
  result.set_exit_code(-1);
  result.set_error(error);
  result.set_finished_unix_ms(finished_unix_ms);
  return result;
}

std::string DescribeOutcome(const v1::Result& result) {
  if (result.ok()) return "ok";
  if (result.timed_out()) return "timed out";
  if (result.cancelled()) return "cancelled";
  if (result.exit_code() >= 0) return absl::StrCat("failed (exit code ", result.exit_code(), ")");
  return "failed";
}

}  // namespace tminus::agent
