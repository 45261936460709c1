//===- Window.h - Sliding-window geometry of Conv and the pools -*- C++ -*-===//
#ifndef H8_LIB_EVAL_WINDOW_H
#define H8_LIB_EVAL_WINDOW_H

#include <cstdint>
#include <vector>

#include "Ops.h"

namespace h8 {
namespace eval {

/// Sliding-window geometry shared by Conv, ConvTranspose and the pools.
struct Window {
  std::vector<int64_t> kernel, stride, dilation, pad_begin, pad_end;
};

/// Reads strides/dilations/pads for `nd` spatial dims and checks them
/// (ConvOps.cpp).
absl::StatusOr<Window> ReadWindow(const OpContext& ctx, std::vector<int64_t> kernel, size_t nd,
                                  bool allow_dilations);

/// Computes output spatial dims (and resolves auto_pad into pads) for a
/// forward window op (Conv, pools).
absl::StatusOr<std::vector<int64_t>> ForwardOutputDims(const OpContext& ctx,
                                                       const std::vector<int64_t>& in, Window& w,
                                                       bool ceil_mode);

}  // namespace eval
}  // namespace h8

#endif  // H8_LIB_EVAL_WINDOW_H
