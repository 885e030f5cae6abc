// Between the engine's attempts and the agent protocol's messages, on the coordinator's
// side: an ActionRequest becomes a Dispatch for one agent, an agent's Result becomes an
// ActionResult.
#pragma once

#include <string>

#include "engine/exec/executor.h"
#include "tminus/v1/agent.pb.h"

namespace tminus {

// The protocol's id of `request` on `agent`.
v1::DispatchId WireId(const ActionRequest& request, const std::string& run_id,
                      const std::string& agent);
// The engine's dispatch id ("step#2", "step#rollback1") of a protocol id.
std::string EngineDispatchId(const v1::DispatchId& id);

v1::Dispatch ToDispatch(const ActionRequest& request, const std::string& run_id,
                        const std::string& agent, uint32_t output_cap_bytes);
ActionResult FromWire(const v1::Result& result);

}  // namespace tminus
