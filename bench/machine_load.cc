#include "bench/machine_load.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace tminus::bench {

std::string MachineLoad() {
  std::string text;
  double load = 0;
  if (std::ifstream("/proc/loadavg") >> load) {
    char buffer[96];
    std::snprintf(buffer, sizeof buffer, "load %.1f on %ld processors", load,
                  sysconf(_SC_NPROCESSORS_ONLN));
    text = buffer;
  }
  // "some avg10=37.03 avg60=43.75 avg300=56.79 total=..."
  std::ifstream pressure("/proc/pressure/cpu");
  for (std::string word; pressure >> word;) {
    if (word.rfind("avg60=", 0) != 0) continue;
    text += (text.empty() ? "" : "; ") + std::string("runnable tasks waited for a processor ") +
            word.substr(6) + "% of the last 60 s";
    break;
  }
  return text.empty() ? "unknown" : text;
}

}  // namespace tminus::bench
