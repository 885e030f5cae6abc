// Status helpers. Errors cross module boundaries as absl::Status / absl::StatusOr;
// these macros keep the propagation short and explicit.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TM_CONCAT_INNER_(a, b) a##b
#define TM_CONCAT_(a, b) TM_CONCAT_INNER_(a, b)

// Returns from the enclosing function when `expr` (an absl::Status) is not OK.
#define TM_RETURN_IF_ERROR(expr)               \
  do {                                         \
    ::absl::Status tm_status_ = (expr);        \
    if (!tm_status_.ok()) return tm_status_;   \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, otherwise
// moves the value into `lhs` (which may be a declaration).
#define TM_ASSIGN_OR_RETURN(lhs, rexpr) \
  TM_ASSIGN_OR_RETURN_IMPL_(TM_CONCAT_(tm_statusor_, __LINE__), lhs, rexpr)
#define TM_ASSIGN_OR_RETURN_IMPL_(var, lhs, rexpr) \
  auto var = (rexpr);                              \
  if (!var.ok()) return var.status();              \
  lhs = std::move(var).value()
