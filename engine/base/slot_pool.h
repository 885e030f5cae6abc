// Objects kept in one vector and reused through a free list, so that a hot path allocates
// only while the pool grows. A slot's index stays valid until it is released; a released
// slot keeps its contents (the owner resets what it must) until it is acquired again.
#pragma once

#include <cstdint>
#include <vector>

namespace tminus {

template <typename T>
class SlotPool {
 public:
  uint32_t Acquire() {
    if (!free_.empty()) {
      const uint32_t slot = free_.back();
      free_.pop_back();
      return slot;
    }
    items_.emplace_back();
    return static_cast<uint32_t>(items_.size() - 1);
  }
  void Release(uint32_t slot) { free_.push_back(slot); }

  T& operator[](uint32_t slot) { return items_[slot]; }
  const T& operator[](uint32_t slot) const { return items_[slot]; }
  size_t size() const { return items_.size(); }

 private:
  std::vector<T> items_;
  std::vector<uint32_t> free_;
};

}  // namespace tminus
