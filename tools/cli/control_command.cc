#include "tools/cli/control_command.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <vector>

#include "CLI/CLI.hpp"
#include "net/loopback.h"
#include "net/tls.h"
#include "tminus/v1/control.grpc.pb.h"

namespace tminus::cli {
namespace {

std::string UtcClock(int64_t unix_ms) {
  if (unix_ms <= 0) return "-";
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%H:%M:%S", &tm);
  return std::string(text) + "Z";
}

std::string Span(int64_t ms) {
  const int64_t s = (ms < 0 ? -ms : ms) / 1000;
  std::ostringstream out;
  if (s >= 3600) out << s / 3600 << "h" << (s % 3600) / 60 << "m";
  else if (s >= 60) out << s / 60 << "m" << s % 60 << "s";
  else out << s << "s";
  return out.str();
}

const char* RunStateName(v1::RunState s) {
  switch (s) {
    case v1::RUN_STATE_RUNNING: return "running";
    case v1::RUN_STATE_SUCCEEDED: return "succeeded";
    case v1::RUN_STATE_ABORTED: return "aborted";
    case v1::RUN_STATE_ROLLED_BACK: return "rolled back";
    case v1::RUN_STATE_FAILED: return "failed";
    default: return "unknown";
  }
}

std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& items, const char* sep) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : sep) + item;
  return out;
}

void PrintStatus(const v1::StatusReply& s, std::ostream& out) {
  out << "Run " << s.name() << " (" << s.mode() << ", run id " << s.run_id() << "): "
      << RunStateName(s.state()) << (s.rolling_back() ? ", ROLLING BACK" : "") << "\n";
  const int percent = s.steps_total() > 0 ? s.steps_done() * 100 / s.steps_total() : 0;
  out << "  " << s.steps_done() << " of " << s.steps_total() << " steps done (" << percent << "%)\n";
  out << "  started " << UtcClock(s.started_unix_ms()) << "; now " << UtcClock(s.now_unix_ms()) << "\n";
  if (s.planned_end_unix_ms() > 0) {
    const int64_t late = s.forecast_end_unix_ms() - s.planned_end_unix_ms();
    out << "  planned end " << UtcClock(s.planned_end_unix_ms()) << ", forecast end "
        << UtcClock(s.forecast_end_unix_ms()) << " ("
        << (late > 0 ? Span(late) + " behind plan" : late < 0 ? Span(late) + " ahead of plan" : "on plan")
        << ")\n";
  } else {
    out << "  forecast end " << UtcClock(s.forecast_end_unix_ms()) << "\n";
  }
  if (s.window_end_unix_ms() > 0) {
    const int64_t spare = s.window_end_unix_ms() - s.forecast_end_unix_ms();
    out << "  window ends " << UtcClock(s.window_end_unix_ms()) << ": "
        << (spare >= 0 ? Span(spare) + " to spare" : "FORECAST OVERRUNS IT BY " + Span(spare)) << "\n";
  }
  out << "  critical path: " << Joined(s.critical_path(), " -> ") << "\n";
  std::vector<std::string> running, people, paused, missed;
  for (const v1::StepStatus& st : s.steps()) {
    if (st.state() == v1::STEP_STATE_RUNNING) {
      running.push_back(st.id() + " (since " + UtcClock(st.started_unix_ms()) + ", " +
                        Span(s.now_unix_ms() - st.started_unix_ms()) + ")");
    }
    if (st.state() == v1::STEP_STATE_AWAITING_SIGNOFF) {
      std::string line = st.id() + " (" + st.type() + ") waits for " + Joined(st.waiting_for(), ", ");
      if (st.signed_by_size() > 0) line += "; so far: " + Joined(st.signed_by(), ", ");
      people.push_back(line);
    }
    if (st.paused() || st.state() == v1::STEP_STATE_UNKNOWN) {
      paused.push_back(st.id() + (st.state() == v1::STEP_STATE_UNKNOWN ? " (outcome unknown)" : " (failed)") +
                       (st.last_error().empty() ? "" : ": " + st.last_error()));
    }
    if (st.deadline_missed()) missed.push_back(st.id());
  }
  auto list = [&out](const char* title, const std::vector<std::string>& items) {
    if (items.empty()) return;
    out << "  " << title << ":\n";
    for (const std::string& item : items) out << "    " << item << "\n";
  };
  list("running", running);
  list("waiting for people", people);
  list("waiting for an operator (retry, skip, mark-done, abort or rollback)", paused);
  list("missed deadlines", missed);
  out << "  agents connected: " << s.agents_connected() << "\n";
}

std::string Json(const google::protobuf::Message& message) {
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(message, &text, options);
  return text;
}

// The token: --token-file, else TMINUS_TOKEN. Empty (after saying why) when neither.
std::string Token(const ControlArgs& args, const Output& io) {
  if (args.token_file) {
    std::ifstream in(*args.token_file);
    std::string token;
    if (!in || !std::getline(in, token) || token.empty()) {
      io.err << "tminus: cannot read a token from " << *args.token_file << "\n";
      return "";
    }
    return token;
  }
  const char* env = std::getenv("TMINUS_TOKEN");
  if (env == nullptr || *env == '\0') {
    io.err << "tminus: no API token: set TMINUS_TOKEN or pass --token-file (an administrator "
              "issues one with 'tminus operators add')\n";
    return "";
  }
  return env;
}

std::shared_ptr<grpc::ChannelCredentials> Credentials(const ControlArgs& args, const Output& io) {
  if (args.insecure) {
    if (args.tls_dir) {
      io.err << "tminus: --insecure and --tls-dir exclude each other\n";
      return nullptr;
    }
    if (!net::IsLoopbackAddress(args.coordinator)) {
      io.err << "tminus: --insecure is refused for " << args.coordinator
             << ": plaintext is allowed to a loopback address only\n";
      return nullptr;
    }
    return grpc::InsecureChannelCredentials();
  }
  if (!args.tls_dir) {
    io.err << "tminus: pass --tls-dir DIR (its ca.crt checks the coordinator's certificate), or "
              "--insecure for a coordinator on this machine's loopback address\n";
    return nullptr;
  }
  auto creds = net::OperatorCredentials(*args.tls_dir);
  if (!creds.ok()) {
    io.err << "tminus: " << creds.status().message() << "\n";
    return nullptr;
  }
  return *creds;
}

int Failed(const grpc::Status& status, const ControlArgs& args, const Output& io) {
  io.err << "tminus: the coordinator at " << args.coordinator;
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      io.err << " did not answer (is it running, with --control there?): ";
      break;
    case grpc::StatusCode::UNAUTHENTICATED:
      io.err << " refused the token: ";
      break;
    default:
      io.err << " said: ";
  }
  io.err << status.error_message() << "\n";
  return kExitUsage;
}

int Report(const v1::ActReply& reply, const ControlArgs& args, const Output& io) {
  if (args.json) {
    io.out << Json(reply) << "\n";
  } else if (reply.accepted()) {
    io.out << "accepted (as " << reply.person() << ")\n";
  } else {
    io.err << "refused: " << reply.reason() << "\n";
  }
  return reply.accepted() ? kExitOk : kExitInvalid;
}

}  // namespace

void AddControlCommands(CLI::App& app, ControlCommands& c) {
  ControlArgs& a = c.args;
  auto common = [&a](CLI::App* cmd) {
    cmd->add_option("--coordinator", a.coordinator,
                    "The coordinator's control address (default 127.0.0.1:7442)");
    cmd->add_option("--token-file", a.token_file, "A file holding your API token (else TMINUS_TOKEN)");
    cmd->add_option("--tls-dir", a.tls_dir, "A folder whose ca.crt checks the coordinator's certificate");
    cmd->add_flag("--insecure", a.insecure, "Plaintext, to a coordinator on a loopback address");
    return cmd;
  };
  c.status = common(app.add_subcommand("status", "Where a running cutover stands"));
  c.status->add_flag("--json", a.json, "Machine-readable output");
  c.signoff = common(app.add_subcommand("signoff", "Sign off a manual step"));
  c.signoff->add_option("STEP", a.step, "The manual step")->required();
  c.signoff->add_option("--comment", a.comment, "Recorded with the sign-off");
  c.decide = common(app.add_subcommand("decide", "Decide an open go/no-go gate"));
  c.decide->add_option("GATE", a.step, "The gate")->required();
  c.decide->add_option("DECISION", a.decision, "go or nogo")->required()->check(CLI::IsMember({"go", "nogo"}));
  c.decide->add_option("--reason", a.reason, "Why")->required();
  c.retry = common(app.add_subcommand("retry", "Run a failed, paused or unknown step again"));
  c.retry->add_option("STEP", a.step, "The step")->required();
  c.retry->add_option("--reason", a.reason, "Why");
  c.skip = common(app.add_subcommand("skip", "Skip a step; its dependants go on"));
  c.skip->add_option("STEP", a.step, "The step")->required();
  c.skip->add_option("--reason", a.reason, "Why")->required();
  c.mark_done = common(app.add_subcommand("mark-done", "Record an unknown step as done by hand"));
  c.mark_done->add_option("STEP", a.step, "The step")->required();
  c.mark_done->add_option("--reason", a.reason, "Why")->required();
  c.abort = common(app.add_subcommand("abort", "Stop the run: running steps are cancelled, nothing undone"));
  c.abort->add_option("--reason", a.reason, "Why")->required();
  c.rollback = common(app.add_subcommand("rollback", "Undo what the run did, in reverse order"));
  c.rollback->add_flag("--force", a.force, "Past a completed point of no return");
  c.rollback->add_option("--reason", a.reason, "Why")->required();
  c.watch = common(app.add_subcommand("watch", "Follow the run's events as they are recorded, until it ends"));
  c.watch->add_flag("--json", a.json, "One JSON object per line");
  c.agents = common(app.add_subcommand("agents", "The agents connected to the coordinator"));
  c.agents->add_flag("--json", a.json, "Machine-readable output");
  for (CLI::App* cmd : {c.signoff, c.decide, c.retry, c.skip, c.mark_done, c.abort, c.rollback}) {
    cmd->add_flag("--json", a.json, "Machine-readable output");
  }
}

std::optional<int> RunControlCommand(const ControlCommands& c, const Output& io) {
  CLI::App* const all[] = {c.status, c.signoff, c.decide, c.retry, c.skip,
                           c.mark_done, c.abort, c.rollback, c.agents, c.watch};
  CLI::App* parsed = nullptr;
  for (CLI::App* cmd : all) {
    if (cmd != nullptr && cmd->parsed()) parsed = cmd;
  }
  if (parsed == nullptr) return std::nullopt;
  const ControlArgs& a = c.args;
  const std::string token = Token(a, io);
  if (token.empty()) return kExitUsage;
  std::shared_ptr<grpc::ChannelCredentials> creds = Credentials(a, io);
  if (creds == nullptr) return kExitUsage;
  auto stub = v1::Control::NewStub(grpc::CreateChannel(a.coordinator, creds));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  if (parsed == c.watch) {
    // No deadline: it follows the run to its end.
    auto reader = stub->Watch(&context, v1::WatchRequest());
    v1::Event event;
    while (reader->Read(&event)) {
      if (a.json) {
        io.out << Json(event) << "\n";
      } else {
        io.out << UtcClock(event.time_unix_ms()) << "  " << event.type() << "  " << event.actor() << "  "
               << event.payload_json() << "\n";
      }
      io.out.flush();
    }
    grpc::Status status = reader->Finish();
    if (!status.ok()) return Failed(status, a, io);
    return kExitOk;
  }
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));

  if (parsed == c.status) {
    v1::StatusReply reply;
    grpc::Status status = stub->Status(&context, v1::StatusRequest(), &reply);
    if (!status.ok()) return Failed(status, a, io);
    if (a.json) {
      io.out << Json(reply) << "\n";
    } else {
      PrintStatus(reply, io.out);
    }
    return kExitOk;
  }
  if (parsed == c.agents) {
    v1::AgentsReply reply;
    grpc::Status status = stub->Agents(&context, v1::AgentsRequest(), &reply);
    if (!status.ok()) return Failed(status, a, io);
    if (a.json) {
      io.out << Json(reply) << "\n";
      return kExitOk;
    }
    io.out << reply.agents_size() << " agents connected\n";
    for (const v1::Agent& agent : reply.agents()) {
      std::string labels;
      for (const auto& [k, v] : agent.labels()) labels += (labels.empty() ? "" : ",") + k + "=" + v;
      io.out << "  " << agent.id() << "  " << agent.peer() << "  " << labels << "  since "
             << UtcClock(agent.connected_unix_ms()) << ", last heard " << agent.silent_ms() / 1000
             << "s ago\n";
    }
    return kExitOk;
  }
  v1::ActReply reply;
  grpc::Status status;
  if (parsed == c.signoff) {
    v1::SignOffRequest r;
    r.set_step(a.step);
    r.set_comment(a.comment);
    status = stub->SignOff(&context, r, &reply);
  } else if (parsed == c.decide) {
    v1::DecideRequest r;
    r.set_gate(a.step);
    r.set_decision(a.decision);
    r.set_reason(a.reason);
    status = stub->Decide(&context, r, &reply);
  } else if (parsed == c.abort || parsed == c.rollback) {
    v1::RunCommand r;
    r.set_reason(a.reason);
    r.set_force(a.force);
    status = parsed == c.abort ? stub->Abort(&context, r, &reply) : stub->Rollback(&context, r, &reply);
  } else {
    v1::StepCommand r;
    r.set_step(a.step);
    r.set_reason(a.reason);
    status = parsed == c.retry  ? stub->Retry(&context, r, &reply)
             : parsed == c.skip ? stub->Skip(&context, r, &reply)
                                : stub->MarkDone(&context, r, &reply);
  }
  if (!status.ok()) return Failed(status, a, io);
  return Report(reply, a, io);
}

}  // namespace tminus::cli
