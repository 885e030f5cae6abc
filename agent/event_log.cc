#include "agent/event_log.h"

#include <cerrno>
#include <string>

#include <unistd.h>

namespace tminus::agent {

EventLog::EventLog(int fd, std::string_view prefix) : fd_(fd), prefix_(prefix) {}

void EventLog::Line(std::string_view text) {
  std::string line;
  line.reserve(prefix_.size() + text.size() + 1);
  line.append(prefix_);
  // One event, one line: a newline inside the text (from a peer's message) is flattened.
  for (const char c : text) line.push_back(c == '\n' || c == '\r' ? ' ' : c);
  line.push_back('\n');
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t wrote = write(fd_, line.data() + done, line.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return;  // nowhere to log to: carry on without it
    done += static_cast<size_t>(wrote);
  }
}

}  // namespace tminus::agent
