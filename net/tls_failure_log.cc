// gRPC's log function, rewriting handshake failures into coordinator log lines.
#include "net/tls_failure_log.h"

#include <cstdio>
#include <mutex>

#include <grpc/support/log.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace tminus::net {
namespace {

// gRPC's log function is a plain function pointer: the sink it forwards to has to be global.
std::mutex& SinkMutex() {
  static std::mutex mutex;
  return mutex;
}

LogSink& Sink() {
  static LogSink sink;
  return sink;
}

struct Cause {
  const char* openssl_reason;  // the end of OpenSSL's error text
  const char* explanation;
};

constexpr Cause kCauses[] = {
    {"certificate verify failed",
     "the client's certificate is not from the coordinator's CA, has expired, or is not for "
     "client use"},
    {"peer did not return a certificate", "the client presented no certificate"},
    {"wrong version number", "the client does not speak TLS (an agent started with --insecure?)"},
    {"http request", "the client sent plain HTTP, not TLS"},
    {"packet length too long", "the client does not speak TLS (an agent started with --insecure?)"},
    {"alert unknown ca",
     "the client does not trust the coordinator's certificate (its ca.crt is from another CA?)"},
    {"alert bad certificate", "the client does not accept the coordinator's certificate"},
    {"alert certificate unknown", "the client does not accept the coordinator's certificate"},
    {"unsupported protocol", "the client and the coordinator have no TLS version in common"},
    {"no shared cipher", "the client and the coordinator have no cipher in common"},
};

void Write(const std::string& line) {
  std::lock_guard<std::mutex> lock(SinkMutex());
  if (Sink()) {
    Sink()(line);
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

std::string_view BaseName(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// (Debian's abseil has its own string_view type, so this file uses std's and these.)
bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::string_view Trimmed(std::string_view text) {
  while (!text.empty() && absl::ascii_isspace(text.back())) text.remove_suffix(1);
  while (!text.empty() && absl::ascii_isspace(text.front())) text.remove_prefix(1);
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  return text;
}

void OnGrpcLog(gpr_log_func_args* args) {
  const std::string_view message = args->message != nullptr ? args->message : "";
  std::string line = DescribeHandshakeFailure(message);
  if (line.empty()) {
    const std::string_view file = BaseName(args->file != nullptr ? args->file : "?");
    line = absl::StrCat("tminus: grpc ", gpr_log_severity_string(args->severity), " ",
                        std::string(file), ":", args->line, ": ", std::string(message));
  }
  Write(line);
}

}  // namespace

std::string DescribeHandshakeFailure(std::string_view grpc_message) {
  constexpr std::string_view kPrefix = "Handshake failed with fatal error ";
  if (!StartsWith(grpc_message, kPrefix)) return "";
  // "SSL_ERROR_SSL: error:0A000086:SSL routines::certificate verify failed."
  std::string_view reason = grpc_message.substr(kPrefix.size());
  const size_t colons = reason.rfind("::");
  if (colons != std::string_view::npos) {
    reason = reason.substr(colons + 2);
  } else if (const size_t colon = reason.rfind(": "); colon != std::string_view::npos) {
    reason = reason.substr(colon + 2);
  }
  reason = Trimmed(reason);
  std::string line = "tminus: refused a connection: TLS handshake failed (";
  line.append(reason.data(), reason.size());
  line += ")";
  for (const Cause& cause : kCauses) {
    if (reason.find(cause.openssl_reason) != std::string_view::npos) {
      absl::StrAppend(&line, ": ", cause.explanation);
      break;
    }
  }
  return line;
}

void InstallTlsFailureLog(LogSink sink) {
  {
    std::lock_guard<std::mutex> lock(SinkMutex());
    Sink() = std::move(sink);
  }
  gpr_set_log_function(OnGrpcLog);
}

}  // namespace tminus::net
