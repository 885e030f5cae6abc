// The agent's log: one line per event on a descriptor (stderr), each written with a single
// write() so lines from different threads never interleave. Callers pass only what may be
// shown: step ids and outcomes, never argv, env values or the redact list.
#pragma once

#include <string>
#include <string_view>

namespace tminus::agent {

class EventLog {
 public:
  // Lines go to `fd` (not closed here), each starting with `prefix` (e.g. "tminus-agent: ").
  explicit EventLog(int fd, std::string_view prefix = "tminus-agent: ");

  void Line(std::string_view text);

 private:
  int fd_;
  std::string prefix_;
};

}  // namespace tminus::agent
