#include "agent/backoff.h"

#include <algorithm>
#include <memory>
#include <random>
#include <utility>

namespace tminus::agent {

Backoff::Backoff(BackoffOptions options, Uniform uniform)
    : options_(options), uniform_(std::move(uniform)) {}

Millis Backoff::Next() {
  step_ = step_ == Millis(0) ? options_.initial : std::min(step_ * 2, options_.maximum);
  step_ = std::max(step_, Millis(1));
  const int64_t drawn = uniform_(step_.count());
  return Millis(std::clamp<int64_t>(drawn, 0, step_.count()));
}

Backoff::Uniform SystemUniform() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine](int64_t bound) {
    return std::uniform_int_distribution<int64_t>(0, std::max<int64_t>(bound, 0))(*engine);
  };
}

}  // namespace tminus::agent
