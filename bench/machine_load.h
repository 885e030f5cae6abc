// How busy the machine was while a live benchmark ran. Their latencies depend on getting
// a processor the moment a message arrives, so the output says how often runnable tasks
// had to wait for one (Linux's pressure stall information), for the reader to judge.
#pragma once

#include <string>

namespace tminus::bench {

// "load 3.1 on 2 processors; runnable tasks waited for a processor 43% of the last 60 s",
// or what of it is known.
std::string MachineLoad();

}  // namespace tminus::bench
