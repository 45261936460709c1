//===- ArenaOptions.h - The arena a binary model is parsed into -*- C++ -*-===//
//
// Header-only: the driver parses into an arena made with these options, and
// h8-floor (which links protobuf alone) measures the same parse.
//
//===----------------------------------------------------------------------===//
#ifndef H8_SUPPORT_ARENAOPTIONS_H
#define H8_SUPPORT_ARENAOPTIONS_H

#include "google/protobuf/arena.h"

namespace h8 {

/// Blocks grow to 1 MiB (protobuf's default stops at 8 KiB): a large model
/// takes a few hundred blocks, not tens of thousands.
inline google::protobuf::ArenaOptions ModelArenaOptions() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = 64 << 10;
  options.max_block_size = 1 << 20;
  return options;
}

}  // namespace h8

#endif  // H8_SUPPORT_ARENAOPTIONS_H
