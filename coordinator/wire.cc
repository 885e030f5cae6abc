#include "coordinator/wire.h"

#include "engine/exec/action_builder.h"

namespace tminus {

v1::DispatchId WireId(const ActionRequest& request, const std::string& run_id,
                      const std::string& agent) {
  v1::DispatchId id;
  id.set_run_id(run_id);
  id.set_step_id(request.step_id);
  id.set_attempt(static_cast<uint32_t>(request.attempt));
  id.set_host(agent);
  id.set_rollback(request.rollback);
  return id;
}

std::string EngineDispatchId(const v1::DispatchId& id) {
  return DispatchId(id.step_id(), static_cast<int>(id.attempt()), id.rollback());
}

v1::Dispatch ToDispatch(const ActionRequest& request, const std::string& run_id,
                        const std::string& agent, uint32_t output_cap_bytes) {
  v1::Dispatch d;
  *d.mutable_id() = WireId(request, run_id, agent);
  switch (request.kind) {
    case Action::Kind::kCommand:
      for (const std::string& arg : request.argv) d.mutable_command()->add_argv(arg);
      break;
    case Action::Kind::kShell:
      d.mutable_shell()->set_script(request.shell);
      break;
    case Action::Kind::kProbe: {
      v1::Probe* p = d.mutable_probe();
      switch (request.probe.kind) {
        case Probe::Kind::kTcp:
          p->mutable_tcp()->set_address(request.probe.address.value);
          break;
        case Probe::Kind::kHttp:
          p->mutable_http()->set_url(request.probe.url.value);
          p->mutable_http()->set_expect_status(
              request.probe.status.present() ? request.probe.status.value : 200);
          break;
        case Probe::Kind::kDns:
          p->mutable_dns()->set_name(request.probe.name.value);
          p->mutable_dns()->set_expect(request.probe.expect.value);
          break;
      }
      break;
    }
  }
  for (const auto& [name, value] : request.env) {
    v1::EnvVar* e = d.add_env();
    e->set_name(name);
    e->set_value(value);
  }
  d.set_timeout_ms(static_cast<uint32_t>(request.timeout.count()));
  d.set_expect_exit_code(request.expect_exit_code);
  d.set_expect_stdout_contains(request.expect_stdout_contains);
  d.set_output_cap_bytes(output_cap_bytes);
  for (const std::string& secret : request.secret_values) d.add_redact(secret);
  return d;
}

ActionResult FromWire(const v1::Result& result) {
  ActionResult r;
  r.ok = result.ok();
  r.exit_code = result.exit_code();
  r.timed_out = result.timed_out();
  r.cancelled = result.cancelled();
  r.error = result.error();
  r.duration = Millis(result.duration_ms());
  r.stdout_tail = result.stdout_tail();
  r.stderr_tail = result.stderr_tail();
  return r;
}

}  // namespace tminus
