// The delay before the agent dials its coordinator again: exponential (initial, doubling,
// up to a maximum) with full jitter, i.e. a uniformly random delay between 0 and the
// current step, so that agents cut off together do not all come back in the same instant.
// The random source is passed in, so tests get fixed delays.
#pragma once

#include <cstdint>
#include <functional>

#include "engine/base/scheduler.h"

namespace tminus::agent {

struct BackoffOptions {
  Millis initial{200};
  Millis maximum{30000};
};

class Backoff {
 public:
  // Returns a number in [0, bound], uniformly; bound >= 0.
  using Uniform = std::function<int64_t(int64_t bound)>;

  Backoff(BackoffOptions options, Uniform uniform);

  // The next delay: random in [0, step], where step starts at `initial` and doubles with
  // every call up to `maximum`.
  Millis Next();
  // The maximum, without jitter: for refusals, which a quick retry will not fix.
  Millis Maximum() const { return options_.maximum; }
  // After a successful connection: the next delay starts small again.
  void Reset() { step_ = Millis(0); }

 private:
  const BackoffOptions options_;
  Uniform uniform_;
  Millis step_{0};  // the last step used; 0 before the first
};

// A Uniform from a random engine seeded from the system's entropy.
Backoff::Uniform SystemUniform();

}  // namespace tminus::agent
